//! RFC 5545 content lines into a tree of components: unfolding, `NAME;PARAM=value:VALUE`
//! with quoted parameters, and `BEGIN`/`END` nesting kept, so a `VALARM`'s properties stay
//! in the alarm and never reach its event. Lenient the way calendar servers need (a stray
//! line, an unclosed component, a wrong `END` lose only themselves) and bounded: nesting
//! by a stack, not recursion, and a cap on depth and on properties per component.

/// Components nested deeper than this are skipped (a `VCALENDAR` holds a `VEVENT` holds a
/// `VALARM`: three levels are all a calendar needs).
const MAX_DEPTH: usize = 8;
/// More properties than this in one component are dropped (and counted).
const MAX_PROPS: usize = 1000;

/// One property: `NAME;PARAM=value:VALUE`, and the line (1-based, of the folded text) it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
    pub line: usize,
}

impl Prop {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Component {
    /// Upper case: `VEVENT`, `VTIMEZONE`, `STANDARD`, …
    pub name: String,
    pub line: usize,
    pub props: Vec<Prop>,
    pub children: Vec<Component>,
}

impl Component {
    /// The first property of that name (names are kept upper case).
    pub fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// Every component of that name at any depth, in document order (a walk with a stack).
    pub fn walk<'a>(&'a self, name: &str) -> Vec<&'a Component> {
        let mut found = Vec::new();
        let mut stack: Vec<&Component> = vec![self];
        while let Some(c) = stack.pop() {
            if c.name == name {
                found.push(c);
            }
            stack.extend(c.children.iter().rev());
        }
        found
    }
}

/// Unfolds lines (a line starting with a space or tab continues the previous one), each
/// with the number of the line it starts on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ if raw.trim().is_empty() => {}
            _ => lines.push((i + 1, raw.to_owned())),
        }
    }
    lines
}

/// Splits a content line, honouring quoted parameter values (`CN="Doe, Jane"`).
pub fn prop(line: &str, number: usize) -> Option<Prop> {
    let mut in_quote = false;
    let mut split = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ':' if !in_quote => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    let (head, value) = line.split_at(split?);
    let mut parts = Vec::new();
    let (mut cur, mut in_quote) = (String::new(), false);
    for c in head.chars() {
        match c {
            '"' => in_quote = !in_quote,
            ';' if !in_quote => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let name = parts.remove(0).trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts
        .into_iter()
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_ascii_uppercase(), v.to_owned())))
        .collect();
    Some(Prop { name, params, value: value.get(1..).unwrap_or_default().to_owned(), line: number })
}

/// TEXT escapes: `\n`, `\,`, `\;`, `\\`.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The feed as one root (named "") holding its top-level components, and what was dropped
/// on the way, one note each.
pub fn read(text: &str) -> (Component, Vec<String>) {
    let mut notes = Vec::new();
    // The open components, innermost last; [0] is the root.
    let mut open: Vec<Component> = vec![Component::default()];
    // Components opened past MAX_DEPTH: their BEGIN/END are counted, their lines ignored.
    let mut too_deep = 0usize;
    for (number, line) in unfold(text) {
        let Some(p) = prop(&line, number) else { continue };
        let what = p.value.trim().to_ascii_uppercase();
        match p.name.as_str() {
            "BEGIN" if too_deep > 0 || open.len() > MAX_DEPTH => {
                if too_deep == 0 {
                    notes.push(format!("line {number}: {what} nested too deep, skipped"));
                }
                too_deep += 1;
            }
            "END" if too_deep > 0 => too_deep -= 1,
            _ if too_deep > 0 => {}
            "BEGIN" => open.push(Component { name: what, line: number, ..Component::default() }),
            "END" => match open.iter().rposition(|c| c.name == what) {
                Some(at) if at > 0 => {
                    // Anything opened inside and never closed ends here too.
                    while open.len() > at {
                        close(&mut open);
                    }
                }
                _ => notes.push(format!("line {number}: END:{what} closes nothing, ignored")),
            },
            _ => {
                let Some(c) = open.last_mut() else { continue };
                if c.props.len() < MAX_PROPS {
                    c.props.push(p);
                } else if c.props.len() == MAX_PROPS {
                    notes.push(format!(
                        "line {number}: more than {MAX_PROPS} properties in one {}, the rest ignored",
                        c.name
                    ));
                    c.props.push(Prop { name: String::new(), params: vec![], value: String::new(), line: number });
                }
            }
        }
    }
    while open.len() > 1 {
        close(&mut open);
    }
    (open.pop().unwrap_or_default(), notes)
}

/// Ends the innermost open component, adding it to its parent.
fn close(open: &mut Vec<Component>) {
    if open.len() > 1
        && let Some(done) = open.pop()
        && let Some(parent) = open.last_mut()
    {
        parent.children.push(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_keeps_its_own_properties_and_nesting_is_lenient() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:ann\r\nBEGIN:VALARM\r\nSUMMARY:wake\r\n  up\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:unclosed\r\nEND:VCALENDAR\r\nEND:VTODO\r\n";
        let (root, notes) = read(text);
        let events = root.walk("VEVENT");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].all("SUMMARY").count(), 1, "the alarm's SUMMARY stays in the alarm");
        assert_eq!(events[0].children[0].get("SUMMARY").unwrap().value, "wake up");
        assert_eq!(events[1].get("SUMMARY").unwrap().line, 11);
        assert_eq!(notes, ["line 13: END:VTODO closes nothing, ignored"]);
    }

    #[test]
    fn quoted_parameters_and_a_deep_nest() {
        let line = prop("ATTENDEE;CN=\"Doe; Jane: ops\";ROLE=REQ-PARTICIPANT:mailto:jane@example.com", 1).unwrap();
        assert_eq!(line.param("cn"), Some("Doe; Jane: ops"));
        assert_eq!(line.value, "mailto:jane@example.com");
        let deep = "BEGIN:X\n".repeat(100_000) + &"END:X\n".repeat(100_000);
        let (root, notes) = read(&deep);
        assert_eq!(root.walk("X").len(), MAX_DEPTH);
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
