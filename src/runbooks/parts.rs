//! The parts of a runbook the console acts on, without rendering it: its links (numbered
//! in order of appearance, as the renderer numbers them) and its code blocks.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
}

/// (text, url) of every link, in order.
pub fn links(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => current = Some((String::new(), dest_url.to_string())),
            Event::Text(t) | Event::Code(t) => {
                if let Some((text, _)) = &mut current {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Link) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// The text of every code block, in order.
pub fn code_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_) | CodeBlockKind::Indented)) => {
                current = Some(String::new())
            }
            Event::Text(t) => {
                if let Some(code) = &mut current {
                    code.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take().map(|c| c.trim_end_matches('\n').to_owned())),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_code_blocks_in_order() {
        let md = "See [the `dash`](https://grafana.example.com/d/1) and [disk](disk-filling).\n\n```sh\ndf -h\ndu -sh /var\n```\n\n    indented\n";
        assert_eq!(
            links(md),
            [
                ("the dash".to_string(), "https://grafana.example.com/d/1".to_string()),
                ("disk".to_string(), "disk-filling".to_string())
            ]
        );
        assert_eq!(code_blocks(md), ["df -h\ndu -sh /var", "indented"]);
    }
}
