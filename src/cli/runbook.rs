//! `klaxon runbook list | show | search`: the runbook library without the console.

use super::{CliError, RunbookCommand, Session};
use crate::runbooks::{Follow, Reference, cache, follow, markdown};
use std::io::{IsTerminal, Write};

pub async fn run(session: &Session, command: RunbookCommand) -> Result<(), CliError> {
    let (lib, problems) = session.runbooks();
    for p in &problems {
        eprintln!("klaxon: runbooks: {p}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match command {
        RunbookCommand::List => {
            let name_w = lib.all().iter().map(|r| r.name.chars().count()).max().unwrap_or(4);
            lib.all()
                .iter()
                .try_for_each(|r| writeln!(out, "{:<name_w$}  {}  [{}]", r.name, r.title, r.origin.describe()))
        }
        RunbookCommand::Search { query } => {
            let hits = lib.search(&query, 20);
            if hits.is_empty() {
                return Err(CliError::Failure(format!("no runbook matches {query:?}")));
            }
            hits.iter().try_for_each(|h| {
                writeln!(out, "{}  {}", h.runbook.name, h.runbook.title)?;
                match &h.snippet {
                    Some(s) => writeln!(out, "    {s}"),
                    None => Ok(()),
                }
            })
        }
        RunbookCommand::Show { name, width } => {
            let rb = cache::load(&lib, &session.runbook_cache(), &Reference::parse(&name))
                .await
                .map_err(|e| CliError::Usage(format!("{e} (`klaxon runbook list` shows the names)")))?;
            let width = width.unwrap_or_else(|| {
                if std::io::stdout().is_terminal() { crossterm::terminal::size().map_or(100, |(w, _)| w) } else { 100 }
            });
            let theme = crate::config::theme::Theme::load("default", std::path::Path::new("/nonexistent"), true)
                .unwrap_or_default();
            let rendered = markdown::render(&rb.body, width, &theme);
            let mut w = writeln!(out, "{}  [{}]\n", rb.title, rb.origin.describe());
            for line in &rendered.lines {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                w = w.and_then(|_| writeln!(out, "{}", text.trim_end()));
            }
            if !rb.links.is_empty() || !rb.images.is_empty() {
                w = w.and_then(|_| writeln!(out, "\nLinks"));
            }
            // Numbered as in the text; where a link leads in the library, said after it.
            for (i, (text, url)) in rb.links.iter().enumerate() {
                let to = match follow(&lib, &rb, url) {
                    Follow::Open(target) if target.name != rb.name => format!(" -> {}", target.name),
                    _ => String::new(),
                };
                w = w.and_then(|_| writeln!(out, "  [{}] {text}: {url}{to}", i + 1));
            }
            for (alt, url) in &rb.images {
                w = w.and_then(|_| writeln!(out, "  image {alt}: {url}"));
            }
            w
        }
    };
    written.and_then(|_| out.flush()).or_else(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(CliError::Failure(format!("cannot write: {e}"))),
    })
}
