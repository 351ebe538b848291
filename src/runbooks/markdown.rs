//! Markdown for the terminal: a runbook's body as themed ratatui lines, laid out for a pane of a
//! given width.
//!
//! pulldown-cmark parses (tables and strikethrough on); this module only lays its events out.
//! The text is untrusted: it is sanitized before parsing, and every piece of text the parser hands
//! back is sanitized again (character references such as `&#27;` decode to control characters),
//! so no control or bidi character reaches a span. HTML is shown as text, never interpreted.
//!
//! Layout: one blank line between blocks; headings keep their `#` marks; block quotes draw a `│ `
//! gutter; list items hang their wrapped lines under the text; links read `text[1]` with the URL
//! in [`Rendered::links`] (images read `alt[image]` and are not numbered: the numbers are what the
//! digit keys follow, and an image has nothing to open); code blocks are indented and never
//! wrapped (a long line is cut with `…`, and kept whole in [`Rendered::code_blocks`]); tables fit
//! their columns to the width and wrap text inside the cells.

use crate::config::theme::Theme;
use crate::sanitize::{sanitize, sanitize_line};
use crate::ui::text::fit;
use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use std::borrow::Cow;
use std::iter::repeat_n;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A Markdown document laid out for the terminal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    /// Links in order of appearance: (text, url). The text shows a marker like "[1]" after the link text in the body.
    pub links: Vec<(String, String)>,
    /// Images in order of appearance: (alt text, url).
    pub images: Vec<(String, String)>,
    /// The text of each fenced/indented code block, in order (for copying).
    pub code_blocks: Vec<String>,
    /// Where each code block is in `lines`: its first line and the line after its last.
    pub code_lines: Vec<(usize, usize)>,
    /// Each heading's line in `lines` and its anchor (`## Alert Name: X` is `alert-name-x`).
    pub headings: Vec<(usize, String)>,
}

/// Narrower panes are laid out as this wide (the caller's frame clips).
const MIN_WIDTH: usize = 10;
/// Cells always left for text after quote gutters and list indents (deeper nesting cuts them).
const MIN_TEXT: usize = 5;
/// The narrowest a table column is squeezed to.
const MIN_COLUMN: usize = 3;
const TAB_STOP: usize = 4;
const CODE_INDENT: &str = "  ";
/// Bullets by list depth.
const BULLETS: [&str; 3] = ["•", "◦", "▪"];

/// Renders `markdown` (the body, front matter already removed) for a pane `width` cells wide.
pub fn render(markdown: &str, width: u16, theme: &Theme) -> Rendered {
    let clean = prepare(markdown);
    let events: Vec<Event<'_>> = parser(&clean).collect();
    let mut renderer = Renderer::new(theme, usize::from(width).max(MIN_WIDTH));
    for (i, event) in events.iter().enumerate() {
        renderer.event(event, &events[i + 1..]);
    }
    renderer.finish()
}

/// Markdown as it is parsed: tabs to spaces first (sanitize would make each one a single space,
/// which turns a tab-indented code block into a paragraph), then sanitized.
pub fn prepare(markdown: &str) -> String {
    sanitize(&expand_tabs(markdown))
}

/// The parser, with the options this renderer lays out (tables, strikethrough).
pub(super) fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
}

/// A link's (text, url) as listed: one clean line each; a link without text is named by its URL.
pub(super) fn link_text(text: &str, url: &str) -> (String, String) {
    let url = sanitize_line(url);
    let text = sanitize_line(text).trim().to_owned();
    (if text.is_empty() { url.clone() } else { text }, url)
}

/// A heading's anchor as GitHub and Hugo make it: lower case, spaces to `-`, punctuation dropped.
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' | '-' => Some('-'),
            '_' => Some('_'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A runbook as the pane and the browser show it, laid out for a width: every line fits, so the
/// view scrolls by these lines and `y` knows which code block a line is in.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub lines: Vec<Line<'static>>,
    /// Where each code block is in `lines`: its first line and the line after its last.
    pub code_lines: Vec<(usize, usize)>,
    /// Each heading's line in `lines` and its anchor.
    pub headings: Vec<(usize, String)>,
}

impl Document {
    /// The line of the heading `anchor` (a URL's `#fragment`) names.
    pub fn line_of(&self, anchor: &str) -> Option<usize> {
        let anchor = slug(&super::index::percent_decode(anchor));
        self.headings.iter().find(|(_, s)| *s == anchor).map(|(line, _)| *line)
    }
}

/// `note` (why the alert's own reference was not used), the runbook's name and where it comes
/// from, other candidates, the rendered body (whose own heading is the title), then its links,
/// numbered as in the text, and its images.
pub fn document(rb: &super::Runbook, note: Option<&str>, others: &[String], width: u16, theme: &Theme) -> Document {
    let width = usize::from(width).max(MIN_WIDTH);
    let mut lines = Vec::new();
    if let Some(note) = note {
        lines.extend(wrap_text(&[(note, theme.style("status.error"))], width));
    }
    let origin = rb.origin.describe();
    let quiet = theme.style("list.resolved");
    // A remote runbook is named by its URL, which the origin already says.
    if origin.starts_with(&rb.name) {
        lines.extend(wrap_text(&[(&origin, quiet)], width));
    } else {
        let origin = format!(" · {origin}");
        lines.extend(wrap_text(&[(&rb.name, theme.style("detail.value")), (&origin, quiet)], width));
    }
    if !others.is_empty() {
        let others = others.join(", ");
        lines.extend(wrap_text(
            &[("also fits: ", theme.style("detail.label")), (&others, theme.style("detail.value"))],
            width,
        ));
    }
    lines.push(Line::raw(""));
    let body = lines.len();
    let rendered = render(&rb.body, width as u16, theme);
    let code_lines = rendered.code_lines.iter().map(|(a, b)| (a + body, b + body)).collect();
    let headings = rendered.headings.into_iter().map(|(line, s)| (line + body, s)).collect();
    lines.extend(rendered.lines);
    if !rendered.links.is_empty() || !rendered.images.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Links", theme.style("detail.label")));
    }
    let link = theme.style("markdown.link");
    for (i, (text, url)) in rendered.links.iter().enumerate() {
        let n = format!("[{}] ", i + 1);
        let text = format!("{text}: ");
        lines.extend(wrap_text(&[(&n, theme.style("status.key")), (&text, Style::default()), (url, link)], width));
    }
    for (alt, url) in &rendered.images {
        let alt = format!("{alt}: ");
        lines.extend(wrap_text(&[("image ", theme.style("status.key")), (&alt, Style::default()), (url, link)], width));
    }
    Document { lines, code_lines, headings }
}

/// Styled text wrapped to `width` cells (one line per wrapped line, at least one).
pub fn wrap_text(pieces: &[(&str, Style)], width: usize) -> Vec<Line<'static>> {
    let content: Vec<Inline> = pieces.iter().map(|(t, s)| Inline::Text(sanitize_line(t), *s)).collect();
    let mut out: Vec<Line<'static>> = wrap(&content, width.max(MIN_TEXT))
        .into_iter()
        .map(|pieces| line(pieces.into_iter().map(|(t, s)| Span::styled(t, s)).collect()))
        .collect();
    if out.is_empty() {
        out.push(Line::raw(""));
    }
    out
}

/// Tabs to spaces, to the next multiple of `TAB_STOP` columns as CommonMark counts them.
fn expand_tabs(s: &str) -> Cow<'_, str> {
    if !s.contains('\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut column = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = TAB_STOP - column % TAB_STOP;
                out.extend(repeat_n(' ', n));
                column += n;
            }
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Inline content waiting to be wrapped: styled text (already sanitized) and hard breaks.
#[derive(Debug, Clone)]
enum Inline {
    Text(String, Style),
    Break,
}

/// A run of text in one style.
type Piece = (String, Style);

/// What the inline content being collected belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    None,
    /// Text straight inside a tight list item, with no paragraph around it.
    Implicit,
    Paragraph,
    Heading(HeadingLevel),
    Html,
}

/// Blocks that put something before each of their lines.
enum Container {
    /// `│ ` on every line.
    Quote,
    /// `next`: the next item's number in an ordered list; `digits`: how wide the numbers are.
    List { next: Option<u64>, digits: usize },
    /// The marker on the item's first line, as many spaces on the others.
    Item { marker: String, used: bool },
}

struct Table {
    aligns: Vec<Alignment>,
    /// Rows of cells; the first is the header when `header`.
    rows: Vec<Vec<Vec<Inline>>>,
    header: bool,
}

struct Renderer<'t> {
    theme: &'t Theme,
    width: usize,
    out: Rendered,
    containers: Vec<Container>,
    /// A block ended: put a blank line before the next one.
    blank_before_next: bool,
    leaf: Leaf,
    inline: Vec<Inline>,
    /// Inline styles in effect (emphasis, heading, link…), patched in order.
    styles: Vec<Style>,
    /// Links and images being read (an image can sit inside a link): text so far, URL, is an image.
    open_links: Vec<(String, String, bool)>,
    /// The text of the code block being read.
    code: Option<String>,
    table: Option<Table>,
}

impl<'t> Renderer<'t> {
    fn new(theme: &'t Theme, width: usize) -> Self {
        Renderer {
            theme,
            width,
            out: Rendered::default(),
            containers: Vec::new(),
            blank_before_next: false,
            leaf: Leaf::None,
            inline: Vec::new(),
            styles: Vec::new(),
            open_links: Vec::new(),
            code: None,
            table: None,
        }
    }

    fn finish(mut self) -> Rendered {
        self.close_implicit();
        if self.leaf != Leaf::None {
            self.close_leaf();
        }
        if self.code.is_some() {
            self.code_block();
        }
        if self.table.is_some() {
            self.table();
        }
        self.out
    }

    fn event(&mut self, event: &Event<'_>, rest: &[Event<'_>]) {
        match event {
            Event::Start(tag) => self.start(tag, rest),
            Event::End(tag) => self.end(*tag),
            Event::Text(t) => match &mut self.code {
                Some(code) => code.push_str(t),
                None => self.text(t, self.current()),
            },
            Event::Code(t) => self.text(t, self.current().patch(self.theme.style("markdown.code"))),
            Event::Html(t) => self.html_lines(t),
            Event::InlineHtml(t) | Event::InlineMath(t) | Event::DisplayMath(t) | Event::FootnoteReference(t) => {
                self.text(t, self.current())
            }
            Event::SoftBreak => self.text(" ", self.current()),
            Event::HardBreak => {
                self.ensure_leaf();
                self.inline.push(Inline::Break);
            }
            Event::Rule => {
                self.close_implicit();
                self.open_block();
                let rule = "─".repeat(self.avail());
                self.emit(vec![Span::styled(rule, self.theme.style("markdown.rule"))]);
                self.blank_before_next = true;
            }
            Event::TaskListMarker(done) => self.text(if *done { "[x] " } else { "[ ] " }, self.current()),
        }
    }

    fn start(&mut self, tag: &Tag<'_>, rest: &[Event<'_>]) {
        match tag {
            Tag::Paragraph => self.open_leaf(Leaf::Paragraph),
            Tag::Heading { level, .. } => {
                self.open_leaf(Leaf::Heading(*level));
                self.styles.push(self.heading_style(*level));
            }
            Tag::HtmlBlock => self.open_leaf(Leaf::Html),
            Tag::BlockQuote(_) => {
                self.close_implicit();
                self.open_block();
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(_) => {
                self.close_implicit();
                self.open_block();
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.close_implicit();
                self.open_block();
                let last = start.map(|first| first.saturating_add(count_items(rest).saturating_sub(1)));
                let digits = last.map_or(0, |n| n.to_string().len());
                self.containers.push(Container::List { next: *start, digits });
            }
            Tag::Item => {
                self.close_implicit();
                let marker = self.next_marker();
                self.containers.push(Container::Item { marker, used: false });
            }
            Tag::Table(aligns) => {
                self.close_implicit();
                self.open_block();
                self.table = Some(Table { aligns: aligns.clone(), rows: Vec::new(), header: false });
            }
            Tag::TableHead => {
                if let Some(table) = &mut self.table {
                    table.header = true;
                    table.rows.push(Vec::new());
                }
                self.styles.push(self.theme.style("markdown.table.header"));
            }
            Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.inline.clear(),
            Tag::Emphasis => self.styles.push(self.theme.style("markdown.emphasis")),
            Tag::Strong => self.styles.push(self.theme.style("markdown.strong")),
            Tag::Strikethrough => self.styles.push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.ensure_leaf();
                self.styles.push(self.theme.style("markdown.link"));
                self.open_links.push((String::new(), dest_url.to_string(), matches!(tag, Tag::Image { .. })));
            }
            // The rest need parser options this renderer does not turn on.
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.close_leaf(),
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.close_leaf();
            }
            TagEnd::BlockQuote(_) => {
                self.close_implicit();
                self.containers.pop();
                self.blank_before_next = true;
            }
            TagEnd::CodeBlock => self.code_block(),
            TagEnd::List(_) => {
                self.close_implicit();
                self.containers.pop();
                // A list nested in an item runs on into the item's next line.
                if !matches!(self.containers.last(), Some(Container::Item { .. })) {
                    self.blank_before_next = true;
                }
            }
            TagEnd::Item => {
                self.close_implicit();
                if let Some(Container::Item { used: false, .. }) = self.containers.last() {
                    self.emit(Vec::new()); // an empty item still shows its marker
                }
                self.containers.pop();
            }
            TagEnd::Table => self.table(),
            TagEnd::TableHead => {
                self.styles.pop();
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                let style = self.current();
                self.styles.pop();
                if let Some((text, url, image)) = self.open_links.pop() {
                    let marker = if image {
                        self.out.images.push(link_text(&text, &url));
                        "[image]".to_owned()
                    } else {
                        self.out.links.push(link_text(&text, &url));
                        format!("[{}]", self.out.links.len())
                    };
                    self.inline.push(Inline::Text(marker, style));
                }
            }
            _ => {}
        }
    }

    /// The inline style in effect.
    fn current(&self) -> Style {
        self.styles.iter().fold(Style::default(), |style, patch| style.patch(*patch))
    }

    fn heading_style(&self, level: HeadingLevel) -> Style {
        self.theme.style(if level == HeadingLevel::H1 { "markdown.heading.1" } else { "markdown.heading" })
    }

    fn text(&mut self, text: &str, style: Style) {
        self.ensure_leaf();
        let clean = sanitize(text);
        for (link_text, ..) in &mut self.open_links {
            link_text.push_str(&clean);
        }
        self.inline.push(Inline::Text(clean, style));
    }

    /// An HTML block's lines, shown as they are written.
    fn html_lines(&mut self, html: &str) {
        self.ensure_leaf();
        let style = self.current();
        for (i, part) in sanitize(html).split('\n').enumerate() {
            if i > 0 {
                self.inline.push(Inline::Break);
            }
            if !part.is_empty() {
                self.inline.push(Inline::Text(part.to_owned(), style));
            }
        }
    }

    /// Inline content outside any paragraph (a tight list item's text) opens one of its own.
    fn ensure_leaf(&mut self) {
        if self.leaf == Leaf::None && self.table.is_none() && self.code.is_none() {
            self.open_block();
            self.leaf = Leaf::Implicit;
        }
    }

    fn open_leaf(&mut self, leaf: Leaf) {
        self.close_implicit();
        self.open_block();
        self.leaf = leaf;
    }

    fn close_implicit(&mut self) {
        if self.leaf == Leaf::Implicit {
            self.close_leaf();
        }
    }

    fn close_leaf(&mut self) {
        let leaf = std::mem::replace(&mut self.leaf, Leaf::None);
        let lead = match leaf {
            Leaf::Heading(level) => {
                self.out.headings.push((self.out.lines.len(), slug(&plain(&self.inline))));
                Some(("#".repeat(level as usize) + " ", self.heading_style(level)))
            }
            _ => None,
        };
        self.emit_inline(lead);
        // Tight list items follow each other with no blank line.
        if leaf != Leaf::Implicit {
            self.blank_before_next = true;
        }
    }

    /// A block starts: the blank line owed by the one before.
    fn open_block(&mut self) {
        if self.blank_before_next && !self.out.lines.is_empty() {
            let spans = self.prefix(true);
            self.out.lines.push(line(spans));
        }
        self.blank_before_next = false;
    }

    fn next_marker(&mut self) -> String {
        let depth = self.containers.iter().filter(|c| matches!(c, Container::List { .. })).count();
        match self.containers.last_mut() {
            Some(Container::List { next: Some(n), digits }) => {
                let marker = format!("{n:>digits$}. ", digits = *digits);
                *n = n.saturating_add(1);
                marker
            }
            _ => format!("{} ", BULLETS[depth.saturating_sub(1) % BULLETS.len()]),
        }
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::List { .. } => 0,
                Container::Item { marker, .. } => marker.width(),
            })
            .sum()
    }

    /// Cells left for text inside the open containers.
    fn avail(&self) -> usize {
        self.width.saturating_sub(self.prefix_width()).max(MIN_TEXT)
    }

    /// What the open containers put before a line: gutters, and an item's marker on its first
    /// content line. Cut so `MIN_TEXT` cells stay free; a blank line's ends in no spaces.
    fn prefix(&mut self, blank: bool) -> Vec<Span<'static>> {
        let quote = self.theme.style("markdown.quote");
        let marker_style = self.theme.style("markdown.list_marker");
        let mut spans = Vec::new();
        for container in &mut self.containers {
            match container {
                Container::Quote => spans.push(Span::styled("│ ", quote)),
                Container::List { .. } => {}
                Container::Item { marker, used } => {
                    if blank || *used {
                        spans.push(Span::raw(" ".repeat(marker.width())));
                    } else {
                        *used = true;
                        spans.push(Span::styled(marker.clone(), marker_style));
                    }
                }
            }
        }
        let mut spans = cut(spans, self.width.saturating_sub(MIN_TEXT));
        if blank {
            trim_end(&mut spans);
        }
        spans
    }

    /// One line of content, after the containers' prefix.
    fn emit(&mut self, content: Vec<Span<'static>>) {
        let mut spans = self.prefix(false);
        if content.iter().all(|s| s.content.is_empty()) {
            trim_end(&mut spans);
        }
        spans.extend(content);
        self.out.lines.push(line(spans));
    }

    /// The collected inline content, wrapped; `lead` (a heading's `## `) starts the first line
    /// and the others hang under the text after it.
    fn emit_inline(&mut self, lead: Option<Piece>) {
        let mut content = std::mem::take(&mut self.inline);
        let avail = self.avail();
        let lead_width = lead.as_ref().map_or(0, |(s, _)| s.width());
        let hang = lead.is_some() && avail >= lead_width + MIN_TEXT;
        let mut lines = if hang {
            wrap(&content, avail - lead_width)
        } else {
            if let Some((text, style)) = lead.clone() {
                content.insert(0, Inline::Text(text, style));
            }
            wrap(&content, avail)
        };
        if hang && lines.is_empty() {
            lines.push(Vec::new());
        }
        for (i, pieces) in lines.into_iter().enumerate() {
            let mut spans = Vec::with_capacity(pieces.len() + 1);
            if let (true, Some((text, style))) = (hang, &lead) {
                spans.push(if i == 0 { Span::styled(text.clone(), *style) } else { Span::raw(" ".repeat(lead_width)) });
            }
            spans.extend(pieces.into_iter().map(|(text, style)| Span::styled(text, style)));
            self.emit(spans);
        }
    }

    fn code_block(&mut self) {
        let text = super::parts::code_text(&self.code.take().unwrap_or_default());
        let first = self.out.lines.len();
        let style = self.theme.style("markdown.code_block");
        let room = self.avail().saturating_sub(CODE_INDENT.len());
        if !text.is_empty() {
            for code_line in text.split('\n') {
                if code_line.is_empty() {
                    self.emit(Vec::new());
                } else {
                    self.emit(vec![Span::raw(CODE_INDENT), Span::styled(fit(code_line, room), style)]);
                }
            }
        }
        self.out.code_blocks.push(text);
        self.out.code_lines.push((first, self.out.lines.len()));
        self.blank_before_next = true;
    }

    fn table(&mut self) {
        let Some(table) = self.table.take() else { return };
        self.blank_before_next = true;
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0).max(table.aligns.len());
        if columns == 0 {
            return;
        }
        let avail = self.avail();
        let column = |c: usize| table.rows.iter().filter_map(move |row| row.get(c));
        let natural: Vec<usize> =
            (0..columns).map(|c| column(c).map(|cell| inline_width(cell)).max().unwrap_or(0).max(MIN_COLUMN)).collect();
        let longest: Vec<usize> = (0..columns)
            .map(|c| column(c).map(|cell| longest_word(cell)).max().unwrap_or(0).clamp(MIN_COLUMN, natural[c]))
            .collect();
        // `│ a │ b │` when the words fit that way, else `│a│b│` for more text per line.
        let borders = |pad: usize| (2 * pad + 1) * columns + 1;
        let pad = usize::from(longest.iter().sum::<usize>() + borders(1) <= avail);
        let overhead = borders(pad);
        if MIN_COLUMN * columns + overhead > avail {
            return self.table_as_records(table, avail);
        }
        let widths = column_widths(&natural, &longest, avail - overhead);

        let border = self.theme.style("markdown.table.border");
        let rule = |left: &str, middle: &str, right: &str, fill: char| {
            let mut s = String::from(left);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push_str(middle);
                }
                s.extend(repeat_n(fill, w + 2 * pad));
            }
            s.push_str(right);
            vec![Span::styled(s, border)]
        };
        let cells: Vec<Vec<Vec<Vec<Piece>>>> = table
            .rows
            .iter()
            .map(|row| (0..columns).map(|c| row.get(c).map_or_else(Vec::new, |cell| wrap(cell, widths[c]))).collect())
            .collect();
        let body = usize::from(table.header);
        // Rows of several lines need a line between them to be told apart.
        let ruled = cells.iter().skip(body).any(|row| row.iter().any(|lines| lines.len() > 1));

        self.emit(rule("┌", "┬", "┐", '─'));
        for (r, row) in cells.into_iter().enumerate() {
            if r > 0 && r == body {
                self.emit(rule("╞", "╪", "╡", '═'));
            } else if r > 0 && ruled {
                self.emit(rule("├", "┼", "┤", '─'));
            }
            let height = row.iter().map(Vec::len).max().unwrap_or(0).max(1);
            let mut row: Vec<_> = row.into_iter().map(Vec::into_iter).collect();
            for _ in 0..height {
                let mut spans = vec![Span::styled("│", border)];
                for (c, lines) in row.iter_mut().enumerate() {
                    let pieces = lines.next().unwrap_or_default();
                    let gap = widths[c].saturating_sub(pieces.iter().map(|(s, _)| s.width()).sum());
                    let (before, after) = match table.aligns.get(c) {
                        Some(Alignment::Right) => (gap, 0),
                        Some(Alignment::Center) => (gap / 2, gap - gap / 2),
                        _ => (0, gap),
                    };
                    spans.push(Span::raw(" ".repeat(pad + before)));
                    spans.extend(pieces.into_iter().map(|(text, style)| Span::styled(text, style)));
                    spans.push(Span::raw(" ".repeat(after + pad)));
                    spans.push(Span::styled("│", border));
                }
                self.emit(spans);
            }
        }
        self.emit(rule("└", "┴", "┘", '─'));
    }

    /// A table too wide for even the narrowest columns: each row as `Header: value` lines,
    /// rows apart by a rule.
    fn table_as_records(&mut self, table: Table, avail: usize) {
        let border = self.theme.style("markdown.table.border");
        let header_style = self.theme.style("markdown.table.header");
        let body = usize::from(table.header && table.rows.len() > 1);
        let headers: Vec<String> =
            if body == 1 { table.rows[0].iter().map(|c| plain(c)).collect() } else { Vec::new() };
        for (r, row) in table.rows.iter().skip(body).enumerate() {
            if r > 0 {
                self.emit(vec![Span::styled("─".repeat(avail), border)]);
            }
            for (c, cell) in row.iter().enumerate() {
                let mut content = Vec::with_capacity(cell.len() + 2);
                if let Some(header) = headers.get(c).map(|h| h.trim()).filter(|h| !h.is_empty()) {
                    content.push(Inline::Text(format!("{header}:"), header_style));
                    content.push(Inline::Text(" ".into(), Style::default()));
                }
                content.extend(cell.iter().cloned());
                for pieces in wrap(&content, avail) {
                    self.emit(pieces.into_iter().map(|(text, style)| Span::styled(text, style)).collect());
                }
            }
        }
    }
}

/// How many items the list starting here has (`rest` follows its `Start(List)`).
fn count_items(rest: &[Event<'_>]) -> u64 {
    let mut depth = 0usize;
    let mut items = 0;
    for event in rest {
        match event {
            Event::Start(Tag::List(_)) => depth += 1,
            Event::End(TagEnd::List(_)) if depth == 0 => break,
            Event::End(TagEnd::List(_)) => depth -= 1,
            Event::Start(Tag::Item) if depth == 0 => items += 1,
            _ => {}
        }
    }
    items
}

/// Column widths summing to at most `room`: the natural widths when they fit; else each column
/// keeps its longest word and shares what is left in proportion to how much more it wants;
/// else (words must break anyway) the natural widths shrink in proportion, down to
/// `MIN_COLUMN`. `room` ≥ `MIN_COLUMN` per column.
fn column_widths(natural: &[usize], longest: &[usize], room: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= room {
        return natural.to_vec();
    }
    let min_total: usize = longest.iter().sum();
    let mut widths: Vec<usize>;
    if min_total <= room {
        let extra = room - min_total;
        let wanted: usize = natural.iter().zip(longest).map(|(n, l)| n - l).sum();
        widths = natural.iter().zip(longest).map(|(n, l)| l + extra * (n - l) / wanted.max(1)).collect();
    } else {
        let total: usize = natural.iter().sum();
        widths = natural.iter().map(|n| (n * room / total.max(1)).max(MIN_COLUMN)).collect();
        while widths.iter().sum::<usize>() > room {
            let Some(widest) = (0..widths.len()).filter(|&i| widths[i] > MIN_COLUMN).max_by_key(|&i| widths[i]) else {
                break;
            };
            widths[widest] -= 1;
        }
    }
    // Hand out what rounding left over, to the columns that want it.
    let mut left = room.saturating_sub(widths.iter().sum());
    while left > 0 {
        let Some(i) = (0..widths.len()).filter(|&i| widths[i] < natural[i]).max_by_key(|&i| natural[i] - widths[i])
        else {
            break;
        };
        widths[i] += 1;
        left -= 1;
    }
    widths
}

/// Word-wraps inline content to `width` cells: breaks at spaces (dropped at line ends), splits a
/// word wider than a line, and starts a new line at each hard break.
fn wrap(content: &[Inline], width: usize) -> Vec<Vec<Piece>> {
    let mut wrapper = Wrapper { width: width.max(1), ..Wrapper::default() };
    for inline in content {
        match inline {
            Inline::Text(text, style) => {
                for c in text.chars() {
                    wrapper.push(c, *style);
                }
            }
            Inline::Break => wrapper.hard_break(),
        }
    }
    wrapper.finish()
}

#[derive(Default)]
struct Wrapper {
    width: usize,
    lines: Vec<Vec<Piece>>,
    line: Vec<Piece>,
    line_width: usize,
    /// Spaces after the line's last word, kept if another word fits after them.
    space: Vec<Piece>,
    space_width: usize,
    word: Vec<Piece>,
    word_width: usize,
}

impl Wrapper {
    fn push(&mut self, c: char, style: Style) {
        if c == ' ' || c == '\n' {
            self.end_word();
            if !self.line.is_empty() {
                push_char(&mut self.space, ' ', style);
                self.space_width += 1;
            }
        } else {
            push_char(&mut self.word, c, style);
            self.word_width += c.width().unwrap_or(0);
        }
    }

    fn end_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word);
        let word_width = std::mem::replace(&mut self.word_width, 0);
        if !self.line.is_empty() && self.line_width + self.space_width + word_width > self.width {
            self.new_line();
        }
        self.line.append(&mut self.space);
        self.line_width += std::mem::replace(&mut self.space_width, 0);
        if self.line_width + word_width <= self.width {
            self.line.extend(word);
            self.line_width += word_width;
            return;
        }
        // Wider than a whole line: split it wherever the line is full.
        for (text, style) in word {
            for c in text.chars() {
                let w = c.width().unwrap_or(0);
                if !self.line.is_empty() && self.line_width + w > self.width {
                    self.new_line();
                }
                push_char(&mut self.line, c, style);
                self.line_width += w;
            }
        }
    }

    fn new_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.line_width = 0;
        self.space.clear();
        self.space_width = 0;
    }

    fn hard_break(&mut self) {
        self.end_word();
        self.new_line();
    }

    fn finish(mut self) -> Vec<Vec<Piece>> {
        self.end_word();
        if !self.line.is_empty() {
            self.lines.push(self.line);
        }
        self.lines
    }
}

fn push_char(pieces: &mut Vec<Piece>, c: char, style: Style) {
    match pieces.last_mut() {
        Some((text, s)) if *s == style => text.push(c),
        _ => pieces.push((c.to_string(), style)),
    }
}

fn inline_width(content: &[Inline]) -> usize {
    content.iter().map(|i| if let Inline::Text(text, _) = i { text.width() } else { 0 }).sum()
}

fn longest_word(content: &[Inline]) -> usize {
    plain(content).split([' ', '\n']).map(UnicodeWidthStr::width).max().unwrap_or(0)
}

fn plain(content: &[Inline]) -> String {
    content.iter().map(|i| if let Inline::Text(text, _) = i { text.as_str() } else { " " }).collect()
}

/// `spans` cut to at most `width` cells.
fn cut(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let mut left = width;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let w = span.content.width();
        if w <= left {
            left -= w;
            out.push(span);
            continue;
        }
        let mut kept = String::new();
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if cw > left {
                break;
            }
            left -= cw;
            kept.push(c);
        }
        out.push(Span::styled(kept, span.style));
        break;
    }
    out
}

/// Drops the spaces that end `spans`.
fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let kept = last.content.trim_end().len();
        if kept == 0 {
            spans.pop();
        } else {
            last.content.to_mut().truncate(kept);
            break;
        }
    }
}

/// A line from spans, neighbours of one style merged and empty ones dropped.
fn line(spans: Vec<Span<'static>>) -> Line<'static> {
    let mut merged: Vec<Span<'static>> = Vec::with_capacity(spans.len());
    for span in spans {
        if span.content.is_empty() {
            continue;
        }
        match merged.last_mut() {
            Some(last) if last.style == span.style => last.content.to_mut().push_str(&span.content),
            _ => merged.push(span),
        }
    }
    Line::from(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::{HOSTILE_SAMPLES, is_clean};
    use ratatui::style::Color;

    /// Renders with the default theme, checking what every rendering must hold.
    fn rendered(markdown: &str, width: u16) -> Rendered {
        let rendered = render(markdown, width, &Theme::default());
        let max = usize::from(width).max(MIN_WIDTH);
        for line in &rendered.lines {
            assert!(line.width() <= max, "wider than {max}: {line:?}\n{markdown}");
            for span in &line.spans {
                assert!(is_clean(&span.content) && !span.content.contains('\n'), "{span:?}");
            }
        }
        rendered
    }

    fn text(rendered: &Rendered) -> Vec<String> {
        rendered.lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    fn lines(markdown: &str, width: u16) -> Vec<String> {
        text(&rendered(markdown, width))
    }

    /// The style of the first span holding `needle`.
    fn style_of(rendered: &Rendered, needle: &str) -> Style {
        let span = rendered.lines.iter().flat_map(|l| &l.spans).find(|s| s.content.contains(needle));
        span.unwrap_or_else(|| panic!("no span holds {needle:?}: {rendered:?}")).style
    }

    #[test]
    fn paragraphs_wrap_by_display_width() {
        let words = "one two three four five six seven eight nine ten eleven twelve";
        assert_eq!(lines(words, 20), ["one two three four", "five six seven eight", "nine ten eleven", "twelve"]);
        // Soft breaks are spaces; blank lines part paragraphs.
        assert_eq!(lines("a\nb\n\nc", 20), ["a b", "", "c"]);
        assert_eq!(lines("hard  \nbreak", 20), ["hard", "break"]);
        // CJK takes two cells a character, so five fit in ten.
        assert_eq!(lines("日本語のテキストを折り返す", 10), ["日本語のテ", "キストを折", "り返す"]);
        // A word wider than the line is split where the line is full.
        assert_eq!(lines(&format!("a {}", "x".repeat(25)), 10), ["a", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
    }

    #[test]
    fn inline_styles_come_from_the_theme() {
        let theme = Theme::default();
        let r = rendered("*em* **strong** `code` ~~gone~~ plain", 40);
        assert_eq!(text(&r), ["em strong code gone plain"]);
        assert_eq!(style_of(&r, "em"), theme.style("markdown.emphasis"));
        assert_eq!(style_of(&r, "strong"), theme.style("markdown.strong"));
        assert_eq!(style_of(&r, "code"), theme.style("markdown.code"));
        assert!(style_of(&r, "gone").add_modifier.contains(Modifier::CROSSED_OUT));
        assert_eq!(style_of(&r, "plain"), Style::default());
        // Nested: strong inside emphasis is both.
        let r = rendered("*a **b***", 40);
        assert_eq!(style_of(&r, "b"), theme.style("markdown.emphasis").patch(theme.style("markdown.strong")));
    }

    #[test]
    fn headings_keep_their_marks_and_levels_differ() {
        let theme = Theme::default();
        let r = rendered("# Title\n\n## Section\n\ntext\n### Sub", 40);
        assert_eq!(text(&r), ["# Title", "", "## Section", "", "text", "", "### Sub"]);
        assert_eq!(style_of(&r, "Title"), theme.style("markdown.heading.1"));
        assert_eq!(style_of(&r, "Section"), theme.style("markdown.heading"));
        assert_ne!(theme.style("markdown.heading.1"), theme.style("markdown.heading"));
        // A long heading hangs under its text.
        assert_eq!(lines("## A heading that wraps", 14), ["## A heading", "   that wraps"]);
    }

    #[test]
    fn lists_nest_and_hang_wrapped_lines_under_the_text() {
        let markdown = "- one two three four five\n  - nested six seven eight nine\n- b\n\nafter";
        assert_eq!(
            lines(markdown, 20),
            ["• one two three four", "  five", "  ◦ nested six seven", "    eight nine", "• b", "", "after"]
        );
        let r = rendered("1. a\n2. b", 20);
        assert_eq!(style_of(&r, "1."), Theme::default().style("markdown.list_marker"));

        // Numbers line up however many digits they take, and keep the list's start.
        let ten: String = (1..=10).map(|i| format!("{i}. item {i}\n")).collect();
        let out = lines(&ten, 20);
        assert_eq!((out[0].as_str(), out[9].as_str()), (" 1. item 1", "10. item 10"));
        assert_eq!(lines("7. a long item that wraps\n8. b", 16), ["7. a long item", "   that wraps", "8. b"]);

        // Loose items are apart; an empty item still shows its marker.
        assert_eq!(lines("- a\n\n- b\n-\n", 20), ["• a", "", "• b", "•"]);
        // A paragraph and a list are apart; a code block hangs in its item.
        assert_eq!(lines("text\n- a\n\n  ```\n  code\n  ```\n- b", 20), ["text", "", "• a", "", "    code", "", "• b"]);
    }

    #[test]
    fn headings_have_anchors_as_sites_make_them() {
        let r = rendered("# Title\n\ntext\n\n## Alert Name: KubePodCrashLooping\n\n### `kubectl` & co_op", 40);
        assert_eq!(
            r.headings,
            [(0, "title".into()), (4, "alert-name-kubepodcrashlooping".into()), (6, "kubectl--co_op".into())]
        );
    }

    #[test]
    fn quotes_have_a_gutter_and_nest() {
        let r = rendered("> quoted text that wraps here\n>\n> > nested\n\nafter", 20);
        assert_eq!(text(&r), ["│ quoted text that", "│ wraps here", "│", "│ │ nested", "", "after"]);
        assert_eq!(style_of(&r, "│"), Theme::default().style("markdown.quote"));
        assert_eq!(lines("> - item\n>   more", 20), ["│ • item more"]);
    }

    #[test]
    fn links_are_numbered_and_collected() {
        let markdown = "See [the docs](https://docs.example.com) and [**bold** `x`](https://b.example.com \"t\"), <https://auto.example.com>, ![alt](img.png).";
        let r = rendered(markdown, 100);
        assert_eq!(text(&r), ["See the docs[1] and bold x[2], https://auto.example.com[3], alt[image]."]);
        assert_eq!(
            r.links,
            [
                ("the docs".to_owned(), "https://docs.example.com".to_owned()),
                ("bold x".to_owned(), "https://b.example.com".to_owned()),
                ("https://auto.example.com".to_owned(), "https://auto.example.com".to_owned()),
            ]
        );
        // An image takes no number: the numbers are what the digit keys follow.
        assert_eq!(r.images, [("alt".to_owned(), "img.png".to_owned())]);
        assert_eq!(text(&rendered("![a](i.png) [b](u)", 40)), ["a[image] b[1]"]);
        assert_eq!(style_of(&r, "[1]"), Theme::default().style("markdown.link"));
        // The marker stays with the word it follows when wrapping.
        assert_eq!(lines("aaaa [bbbb](u)", 10), ["aaaa", "bbbb[1]"]);
        // Reference links resolve; an empty link text shows its URL.
        let r = rendered("[ref][r] [](https://e.example)\n\n[r]: https://r.example", 40);
        assert_eq!(text(&r), ["ref[1] [2]"]);
        assert_eq!(r.links[1], ("https://e.example".to_owned(), "https://e.example".to_owned()));
    }

    #[test]
    fn code_blocks_are_cut_not_wrapped_and_kept_whole() {
        let long = format!("echo {}", "y".repeat(60));
        let markdown = format!("```sh\n{long}\n\tindented()\n\n```\n\n    indented block\n");
        let r = rendered(&markdown, 20);
        assert_eq!(text(&r), ["  echo yyyyyyyyyyyy…", "      indented()", "", "", "  indented block"]);
        assert_eq!(r.code_blocks, [format!("{long}\n    indented()\n"), "indented block".to_owned()]);
        assert_eq!(style_of(&r, "echo"), Theme::default().style("markdown.code_block"));
        // Markdown inside code is text.
        assert_eq!(lines("```\n# not a heading *x*\n```", 40), ["  # not a heading *x*"]);
        // Inside a quote and a list the cut leaves room for the gutter and marker.
        assert_eq!(lines(&format!("> - ```\n>   {long}\n>   ```"), 20), ["│ •   echo yyyyyyyy…"]);
    }

    #[test]
    fn tables_fit_their_columns_to_the_width() {
        let markdown = "| Level | Threshold |\n|---|--:|\n| warning | 85% used |\n| high | 95% |";
        let r = rendered(markdown, 40);
        assert_eq!(
            text(&r),
            [
                "┌─────────┬───────────┐",
                "│ Level   │ Threshold │",
                "╞═════════╪═══════════╡",
                "│ warning │  85% used │",
                "│ high    │       95% │",
                "└─────────┴───────────┘",
            ]
        );
        let theme = Theme::default();
        assert_eq!(style_of(&r, "Level"), theme.style("markdown.table.header"));
        assert_eq!(style_of(&r, "┌"), theme.style("markdown.table.border"));
    }

    #[test]
    fn wide_tables_wrap_their_cells_at_narrow_widths() {
        let cell = "a fairly long cell of text";
        let header = "| h1 | h2 | h3 | h4 | h5 | h6 |\n|---|---|---|---|---|---|\n";
        let markdown = format!("{header}| {cell} | {cell} | {cell} | {cell} | {cell} | {cell} |\n| x | | y | | | z |");
        for width in [40, 60, 80] {
            let out = lines(&markdown, width);
            // Every border line is as wide as the others and the table is there whole: every letter.
            let widths: Vec<usize> = out.iter().map(|l| l.width()).collect();
            assert!(widths.iter().all(|w| *w == widths[0] && *w <= usize::from(width)), "{out:#?}");
            let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count();
            assert_eq!(out.iter().map(|l| letters(l)).sum::<usize>(), letters(&markdown), "{out:#?}");
            // Rows of several lines are ruled apart.
            assert!(out.iter().any(|l| l.starts_with('├')), "{out:#?}");
        }
        // The words fit at 80: no word is split.
        let out = lines(&markdown, 80).join("\n");
        assert_eq!(out.matches("fairly").count(), 6, "{out}");

        // Too many columns for even three cells each: one `Header: value` line per cell.
        let out = lines(&format!("{header}| a | b | c | d | e | f |\n| g | h | i | j | k | l |"), 20);
        assert_eq!(out[..7], ["h1: a", "h2: b", "h3: c", "h4: d", "h5: e", "h6: f", "────────────────────"]);
    }

    #[test]
    fn column_widths_shrink_to_fit() {
        assert_eq!(column_widths(&[5, 10], &[5, 4], 20), [5, 10]);
        // Longest words kept, the rest shared by what each wants more.
        assert_eq!(column_widths(&[7, 40], &[7, 9], 30), [7, 23]);
        // Words must break: natural widths in proportion, never under three.
        let widths = column_widths(&[14, 17, 30, 50, 45, 57], &[14, 17, 30, 8, 10, 11], 33);
        assert_eq!(widths.iter().sum::<usize>(), 33);
        assert!(widths.iter().all(|w| *w >= MIN_COLUMN), "{widths:?}");
        assert_eq!(column_widths(&[100, 3, 3], &[100, 3, 3], 9), [3, 3, 3]);
    }

    #[test]
    fn html_is_text_and_rules_span_the_width() {
        let r = rendered("<div onclick=\"x()\">\n<script>alert(1)</script>\n</div>\n\nInline <b>bold</b>.\n\n---", 20);
        assert_eq!(
            text(&r),
            [
                "<div onclick=\"x()\">",
                "<script>alert(1)</sc",
                "ript>",
                "</div>",
                "",
                "Inline <b>bold</b>.",
                "",
                &"─".repeat(20)
            ]
        );
        assert_eq!(style_of(&r, "─"), Theme::default().style("markdown.rule"));
    }

    #[test]
    fn tiny_widths_do_not_panic() {
        let deep = format!("{}deep", "> - ".repeat(12));
        let markdown = format!(
            "###### A heading\n\n{deep}\n\n| a | b | c |\n|-|-|-|\n| 1 | 2 | 3 |\n\n```\n{}\n```\n\n- 日本語のテキスト\n\n---\n",
            "z".repeat(50)
        );
        for width in 0..=12 {
            let r = rendered(&markdown, width);
            assert!(text(&r).iter().any(|l| l.contains("deep")), "{width}");
        }
        assert_eq!(rendered("", 0), Rendered::default());
    }

    #[test]
    fn hostile_text_never_reaches_a_span() {
        let mut documents = Vec::new();
        for s in HOSTILE_SAMPLES {
            documents.push(format!("# {s}\n\n## {s}"));
            documents.push(format!("| {s} | h |\n|---|---|\n| {s} | {s} |"));
            documents.push(format!("```{s}\n{s}\n```\n\n    {s}"));
            documents.push(format!("[{s}](https://x.example/{s}) [t](<{s}>) ![{s}]({s}) `{s}`"));
            documents.push(format!("- {s}\n  > {s}\n\n<div>{s}</div>\n\n*{s}* <span>{s}</span>"));
        }
        // Character references decode to control and bidi characters after the first sanitize.
        documents.push("&#27;[2J &#x9b;31m &#x202E;evil &#7; [&#27;](&#x202e;) ![&#x2066;](x&#27;)".to_owned());
        documents.push("| &#27;]0;t&#7; |\n|-|\n| &#x202d; |".to_owned());
        for markdown in &documents {
            for width in [0, 20, 200] {
                let r = rendered(markdown, width); // checks every span
                for (text, url) in &r.links {
                    assert!(is_clean(text) && is_clean(url) && !text.contains('\n') && !url.contains('\n'), "{r:?}");
                }
                for code in &r.code_blocks {
                    assert!(is_clean(code), "{code:?}");
                }
            }
        }
        let r = rendered("&#27;[2J&#x202E;x", 40);
        assert_eq!(text(&r), ["[2Jx"]);
    }

    #[test]
    fn every_bundled_theme_styles_markdown() {
        for name in Theme::builtin_names() {
            let theme = Theme::builtin(name).unwrap();
            let r = render("# T\n\n[l](u) `c`", 40, &theme);
            assert_eq!(style_of(&r, "T"), theme.style("markdown.heading.1"), "{name}");
            assert_ne!(style_of(&r, "c"), Style::default(), "{name}");
        }
        // NO_COLOR keeps headings apart by their marks and modifiers.
        let dir = tempfile::tempdir().unwrap();
        let plain = Theme::load("default", dir.path(), true).unwrap();
        assert_eq!(plain.style("markdown.heading").fg, None::<Color>);
        assert!(plain.style("markdown.heading.1").add_modifier.contains(Modifier::UNDERLINED));
    }
}
