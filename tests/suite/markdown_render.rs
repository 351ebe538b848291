//! Runbook Markdown as the terminal shows it: insta snapshots of the rendered text of every
//! bundled runbook and of a synthetic one with a wide table and a long code line, at 40 and 200
//! columns.

use klaxon::config::theme::Theme;
use klaxon::runbooks::markdown::{Rendered, render};
use klaxon::sanitize::is_clean;
use unicode_width::UnicodeWidthStr;

const WIDTHS: [u16; 2] = [40, 200];

/// A runbook with what the bundled ones lack: a table wider than any screen, a 300-character
/// code line, links, nesting.
fn synthetic() -> String {
    let long_line = format!("curl -sS 'https://metrics.example.com/api/v1/query_range?query={}'", "x".repeat(240));
    assert!(long_line.len() > 300);
    format!(
        r#"# Synthetic: wide tables and long lines

Check the [status page](https://status.example.com) and the
[dashboard](https://grafana.example.com/d/abc?orgId=1&from=now-6h) first; *emphasis*, **strong**,
~~struck~~ and `inline code` all show.

| Service | Owner team | Dashboard | First thing to check | Escalation path | Notes |
|---------|------------|-----------|----------------------|-----------------|-------|
| checkout-api | payments-platform | grafana.example.com/d/checkout | p99 latency of the payment provider calls | payments on-call, then the incident commander | Retries are idempotent; safe to restart one pod at a time |
| search-indexer | discovery | grafana.example.com/d/search | queue depth on the indexing topic and consumer lag | discovery on-call | Reindexing from scratch takes about four hours |
| 認証サービス | identity | grafana.example.com/d/auth | 失敗したログインの割合 | identity on-call | CJK text is two cells wide per character |

```sh
{long_line}
echo short
	tabbed line
```

1. First step, long enough that it has to wrap onto a second line at forty columns.
   - A nested bullet that also wraps around at the narrow width, under its text.
   - Another nested bullet.
2. Second step.

> Quoted warning that is long enough to wrap onto another line inside the gutter.
>
> > A nested quote.

---

Done.
"#
    )
}

/// The rendered text: each line's spans joined.
fn text(rendered: &Rendered) -> String {
    let lines: Vec<String> =
        rendered.lines.iter().map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect()).collect();
    lines.join("\n")
}

/// Renders, checks what every rendering must hold, and returns the text.
fn rendered(markdown: &str, width: u16) -> (Rendered, String) {
    let rendered = render(markdown, width, &Theme::default());
    for line in &rendered.lines {
        assert!(line.width() <= usize::from(width), "wider than {width}: {line:?}");
        for span in &line.spans {
            assert!(is_clean(&span.content) && !span.content.contains('\n'), "{span:?}");
        }
    }
    let text = text(&rendered);
    (rendered, text)
}

/// The Markdown after the `+++` TOML front matter.
fn body(runbook: &str) -> &str {
    let rest = runbook.strip_prefix("+++\n").expect("a runbook starts with +++ front matter");
    let end = rest.find("\n+++\n").expect("the front matter ends with +++");
    &rest[end + "\n+++\n".len()..]
}

#[test]
fn bundled_runbooks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "{paths:?}");
    for path in paths {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let runbook = std::fs::read_to_string(&path).unwrap();
        for width in WIDTHS {
            let (rendered, text) = rendered(body(&runbook), width);
            assert!(!rendered.code_blocks.is_empty(), "{stem}: every runbook has commands");
            insta::assert_snapshot!(format!("{stem}_{width}"), text);
        }
    }
}

#[test]
fn synthetic_wide_table_and_long_code_line() {
    let markdown = synthetic();
    for width in WIDTHS {
        let (rendered, text) = rendered(&markdown, width);
        assert_eq!(rendered.links.len(), 2);
        assert_eq!(rendered.links[0], ("status page".to_owned(), "https://status.example.com".to_owned()));
        assert_eq!(rendered.code_blocks.len(), 1);
        let code = &rendered.code_blocks[0];
        assert!(code.lines().next().unwrap().width() > 300, "kept whole: {code}");
        assert!(code.ends_with("echo short\n    tabbed line"), "{code:?}");
        // The table is wrapped, not cut: every cell's words are there.
        for word in ["idempotent;", "identity", "commander"] {
            assert!(text.contains(word) || width == 40, "{word} at {width}");
        }
        insta::assert_snapshot!(format!("synthetic_{width}"), text);
    }
}
