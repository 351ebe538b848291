//! The parts of a runbook the console acts on, without rendering it: its links (numbered in
//! order of appearance, exactly as the renderer numbers them), its images (not numbered: there
//! is nothing to open) and its code blocks. Read once when the runbook is loaded.

use super::markdown::{link_text, parser, prepare};
use pulldown_cmark::{Event, Tag, TagEnd};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// (text, url) of every link: `[n]` in the rendering is `links[n - 1]`.
    pub links: Vec<(String, String)>,
    /// (alt text, url) of every image.
    pub images: Vec<(String, String)>,
    /// The text of every code block, as `y` copies it.
    pub code_blocks: Vec<String>,
}

/// Reads `markdown` (a runbook body) the way [`super::markdown::render`] lays it out.
pub fn extract(markdown: &str) -> Parts {
    extract_prepared(&prepare(markdown))
}

/// `extract` of Markdown already through [`prepare`] (a loaded runbook's body).
pub(super) fn extract_prepared(clean: &str) -> Parts {
    let mut out = Parts::default();
    // Links and images being read (an image can sit inside a link): text, url, is an image.
    let mut open: Vec<(String, String, bool)> = Vec::new();
    let mut code: Option<String> = None;
    for event in parser(clean) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => open.push((String::new(), dest_url.to_string(), false)),
            Event::Start(Tag::Image { dest_url, .. }) => open.push((String::new(), dest_url.to_string(), true)),
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((text, url, image)) = open.pop() {
                    let pair = link_text(&text, &url);
                    if image { out.images.push(pair) } else { out.links.push(pair) }
                }
            }
            Event::Start(Tag::CodeBlock(_)) => code = Some(String::new()),
            Event::End(TagEnd::CodeBlock) => out.code_blocks.extend(code.take().map(|c| code_text(&c))),
            Event::Text(t) if code.is_some() => code.iter_mut().for_each(|c| c.push_str(&t)),
            Event::Text(t)
            | Event::Code(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::FootnoteReference(t) => open.iter_mut().for_each(|(text, ..)| text.push_str(&t)),
            Event::SoftBreak => open.iter_mut().for_each(|(text, ..)| text.push(' ')),
            _ => {}
        }
    }
    // A code block left open at the end of the text is still a block.
    out.code_blocks.extend(code.map(|c| code_text(&c)));
    out
}

/// A code block's text as shown and copied: clean, without its final line break.
pub(super) fn code_text(raw: &str) -> String {
    let clean = crate::sanitize::sanitize(raw);
    clean.strip_suffix('\n').unwrap_or(&clean).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::theme::Theme;
    use crate::runbooks::markdown::render;
    use crate::sanitize::HOSTILE_SAMPLES;
    use quickcheck::{QuickCheck, TestResult};

    fn same_as_rendered(md: &str) {
        let parts = extract(md);
        let r = render(md, 80, &Theme::default());
        assert_eq!((&parts.links, &parts.images, &parts.code_blocks), (&r.links, &r.images, &r.code_blocks), "{md:?}");
    }

    #[test]
    fn links_images_and_code_blocks_in_order() {
        let md = "![arch](img/arch.png) See [the `dash`](https://grafana.example.com/d/1) and [disk](disk-filling).\n\n[![badge](b.svg)](https://ci.example.com)\n\n```sh\ndf -h\ndu -sh /var\n```\n\n    indented\n";
        let p = extract(md);
        assert_eq!(
            p.links,
            [
                ("the dash".to_string(), "https://grafana.example.com/d/1".to_string()),
                ("disk".to_string(), "disk-filling".to_string()),
                ("badge".to_string(), "https://ci.example.com".to_string()),
            ]
        );
        assert_eq!(p.images, [("arch".to_string(), "img/arch.png".to_string()), ("badge".into(), "b.svg".into())]);
        assert_eq!(p.code_blocks, ["df -h\ndu -sh /var", "indented"]);
        same_as_rendered(md);
    }

    #[test]
    fn the_same_parts_as_the_renderer_numbers() {
        for (_, text) in crate::runbooks::index::BUNDLED {
            same_as_rendered(text);
        }
        for s in HOSTILE_SAMPLES {
            same_as_rendered(&format!("[{s}](https://x.example/{s}) ![{s}]({s}) <{s}>\n\n```\n{s}\n```\n\t{s}"));
        }
        same_as_rendered("&#27;[2J [&#27;](&#x202e;) ![&#x2066;](x&#27;)\n\n```\nunclosed\n\ttab");
        same_as_rendered("[a\nb](u) [<b>x</b> $m$](v) [^1]\n\n[^1]: note");
        // Markdown made of the pieces links, images and code are built from, in any order.
        fn prop(picks: Vec<u8>) -> TestResult {
            const PIECES: [&str; 18] = [
                "[",
                "](",
                ")",
                "![",
                "`",
                "```\n",
                "\n",
                "\n\n",
                " ",
                "a",
                "<https://x.example>",
                "\t",
                "*",
                "> ",
                "- ",
                "|",
                "\u{1b}",
                "&#27;",
            ];
            let md: String = picks.iter().map(|p| PIECES[usize::from(*p) % PIECES.len()]).collect();
            let parts = extract(&md);
            let r = render(&md, 60, &Theme::default());
            TestResult::from_bool(
                parts.links == r.links && parts.images == r.images && parts.code_blocks == r.code_blocks,
            )
        }
        QuickCheck::new().tests(300).quickcheck(prop as fn(Vec<u8>) -> TestResult);
    }
}
