//! The one place that owns the terminal, the channels and the tasks. It feeds `Msg`s to
//! `app::update`, carries out the `Effect`s it returns, and draws with `ui::view` when
//! something changed, coalescing bursts into one synchronized frame.

use crate::app::{self, Effect, Key, KeyCode, Mouse, Msg, State};
use crate::cli::{CliError, Session};
use crate::config::Origin;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::sources::poller::{self, Schedule, SourceEvent};
use crate::store::{Drafts, Follower, Store};
use crossterm::event::{self as ct, Event, EventStream, KeyEventKind, KeyModifiers, MouseEventKind};
use crossterm::{execute, terminal};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::{mpsc, watch};

/// How often other consoles' entries are picked up from a shared SQLite file.
const STORE_SYNC: Duration = Duration::from_secs(2);

/// How long the console waits on the store before saying it is not answering. The call
/// itself goes on (on a blocking thread); the screen never waits for it.
const STORE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(session: Session) -> Result<(), CliError> {
    let cfg = session.loaded.config.clone();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let themes_dir = session.loaded.dirs.config.join("themes");
    let mut theme = Theme::load(&cfg.ui.theme, &themes_dir, no_color)?;
    let keymap = Keymap::load(&cfg.ui.keymap, &session.loaded.dirs.config.join("keymaps"))?;
    if !std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "the console needs a terminal; `klaxon list` and `klaxon watch` work without one".into(),
        ));
    }
    let mut state = State::new(&session.actor, keymap, chrono::Utc::now());
    let logs = Arc::new(crate::logs::build_all(&cfg.logs, session.config_dir().as_deref()));
    let log_capacity = cfg.logs.iter().map(|l| l.buffer).max().unwrap_or(1);
    state.logs = app::logs::LogPane::new(logs.iter().map(|(n, _)| n.clone()).collect(), log_capacity);
    state.copy_code = cfg.runbooks.copy_code;
    state.notify_min = cfg.notify.min_severity;
    state.email = cfg.identity.email.clone();
    state.shift_notice = chrono::Duration::from_std(cfg.escalation.shift_notice).unwrap_or(state.shift_notice);
    state.auto_escalate = cfg.escalation.auto_after.and_then(|d| chrono::Duration::from_std(d).ok());
    state.source_actions = session
        .sources
        .iter()
        .map(|(c, s)| (c.name.clone(), crate::model::EntryKind::ALL.into_iter().filter(|k| s.mirrors(*k)).collect()))
        .collect();
    state.pagers = session.pager_chain();
    let (library, problems) = session.runbooks();
    let library = Arc::new(library);
    if session.loaded.origin == Origin::Embedded {
        state.origin = Some("embedded default".into());
    }
    let drafts = Drafts::new(&session.loaded.dirs.data.join("drafts"));
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let (stop_tx, stop_rx) = watch::channel(false);
    start_sources(&session, tx.clone(), stop_rx.clone());
    start_schedules(&session, tx.clone(), stop_rx.clone());
    start_store_sync(session.store.clone(), tx.clone(), stop_rx.clone());
    let session = Arc::new(session);
    let kick = start_outbox(session.clone(), tx.clone(), stop_rx.clone());
    let notify = {
        let tx = tx.clone();
        // Said once beside the hints, not over them: no D-Bus over SSH is normal.
        crate::notify::spawn(&cfg.notify, move |e| _ = tx.try_send(Msg::ChannelFailed(e)))
    };
    let effects = start_effects(session.clone(), drafts.clone(), tx.clone(), kick, library.clone(), notify, logs);
    {
        let (store, tx) = (session.store.clone(), tx.clone());
        tokio::spawn(async move {
            let loaded = tokio::task::spawn_blocking(move || (store.ownership(), drafts.load_all())).await;
            if let Ok((own, drafts)) = loaded {
                match own {
                    Ok(own) => _ = tx.send(Msg::Ownership(own)).await,
                    Err(e) => _ = tx.send(Msg::EffectFailed(e.to_string())).await,
                }
                let _ = tx.send(Msg::Drafts(drafts)).await;
            }
        });
    }
    let _ = tx.send(Msg::Runbooks(library.clone())).await;
    if let Some(p) = problems.first() {
        let more = if problems.len() > 1 { format!(" (and {} more)", problems.len() - 1) } else { String::new() };
        let _ = tx.send(Msg::EffectFailed(format!("runbooks: {p}{more}"))).await;
    }
    start_input(tx.clone(), stop_rx.clone());
    start_ticks(tx.clone(), stop_rx);

    let mut guard =
        TerminalGuard::enter().map_err(|e| CliError::Failure(format!("cannot set up the terminal: {e}")))?;
    let size = guard.terminal.size().map_err(|e| CliError::Failure(e.to_string()))?;
    app::update(&mut state, Msg::Resize { width: size.width, height: size.height });
    let mut signals = Signals::new();
    let mut drawn = app::scroll::Drawn::default();
    loop {
        if state.dirty {
            let now = guard.draw(&state, &theme).map_err(|e| CliError::Failure(format!("drawing failed: {e}")))?;
            state.dirty = false;
            // What the frame measured keeps scrolling inside the text; it changes rarely.
            if now != drawn {
                drawn = now;
                app::update(&mut state, Msg::Drawn(now));
                continue;
            }
        }
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = signals.next() => break,
        };
        let Some(msg) = msg else { break };
        // Never awaited: the effect runner sends its results back on `tx`, so a loop that
        // waited on it could wait forever. What it holds is what keys and messages asked
        // for, a few effects each (a storm asks for none: see `on_entries`).
        let mut send = |mut fx: Vec<Effect>| {
            // `:theme NAME`: the loop draws with the theme, so it is switched here.
            fx.retain(|e| match e {
                Effect::SetTheme(name) => {
                    let said = match Theme::load(name, &themes_dir, no_color) {
                        Ok(t) => {
                            theme = t;
                            Msg::Notice(format!("theme {name} (for this session; [ui] theme keeps it)"))
                        }
                        Err(e) => Msg::EffectFailed(e.to_string()),
                    };
                    let _ = tx.try_send(said);
                    false
                }
                _ => true,
            });
            if !fx.is_empty() {
                let _ = effects.send(fx);
            }
        };
        send(app::update(&mut state, msg));
        // Coalesce: everything already waiting goes in before the next frame (bounded, so
        // a flood of messages cannot keep the screen from being drawn, or `q` from working).
        for _ in 0..256 {
            let Ok(msg) = rx.try_recv() else { break };
            send(app::update(&mut state, msg));
            if state.quit {
                break;
            }
        }
        if state.quit {
            break;
        }
    }
    let _ = stop_tx.send(true);
    drop(guard);
    Ok(())
}

fn start_sources(session: &Session, tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    let (ev_tx, mut ev_rx) = mpsc::channel::<SourceEvent>(64);
    for (cfg, source) in &session.sources {
        let schedule = Schedule { interval: cfg.interval, timeout: cfg.timeout };
        poller::spawn(source.clone(), schedule, session.cache.clone(), ev_tx.clone(), stop.clone());
    }
    let store = session.store.clone();
    tokio::spawn(async move {
        while let Some(event) = ev_rx.recv().await {
            match event {
                SourceEvent::Snapshot { source, alerts, at, from_cache } => {
                    // The screen first: what the source says is shown before the store has
                    // recorded it, so a slow or hung store never hides alerts.
                    let to_store = (!from_cache).then(|| alerts.clone());
                    if tx.send(Msg::Snapshot { source: source.clone(), alerts, fresh: !from_cache }).await.is_err() {
                        return;
                    }
                    let Some(alerts) = to_store else { continue };
                    let s = store.clone();
                    let observed = tokio::task::spawn_blocking(move || s.observe(&source, &alerts, at));
                    let msg = match tokio::time::timeout(STORE_TIMEOUT, observed).await {
                        Ok(Ok(Ok(written))) if written.is_empty() => continue,
                        Ok(Ok(Ok(written))) => Msg::Entries(written),
                        Ok(Ok(Err(e))) => Msg::EffectFailed(format!("the store did not record the alerts: {e}")),
                        Ok(Err(_)) => continue,
                        Err(_) => Msg::EffectFailed(format!(
                            "the store has not answered for {}s: alerts show, their history may lag",
                            STORE_TIMEOUT.as_secs()
                        )),
                    };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
                SourceEvent::Health { source, health, next } => {
                    if tx.send(Msg::Health { source, health, next }).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// One task per schedule: ask at its interval, and again just after each handoff it knows
/// of, so the header never shows a shift that has ended; back off on failure.
fn start_schedules(session: &Session, tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    let people = crate::people::People::new(&session.loaded.config.people);
    for (cfg, schedule) in &session.schedules {
        let (schedule, tx, mut stop, cfg) = (schedule.clone(), tx.clone(), stop.clone(), cfg.clone());
        let people = people.clone();
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let now = chrono::Utc::now();
                let result = crate::oncall::lookup(schedule.as_ref(), now, cfg.timeout).await;
                let delay = match &result {
                    Ok(oc) => {
                        failures = 0;
                        let handoff = oc.until().or(oc.next.as_ref().map(|n| n.start)).filter(|t| *t > now);
                        let until_handoff =
                            handoff.and_then(|t| (t - now + chrono::Duration::seconds(1)).to_std().ok());
                        until_handoff.map_or(cfg.interval, |d| d.min(cfg.interval))
                    }
                    Err(_) => {
                        failures += 1;
                        poller::backoff(cfg.interval.min(Duration::from_secs(60)), failures, fastrand::f64())
                    }
                };
                let msg = Msg::OnCall {
                    schedule: cfg.name.clone(),
                    level: cfg.level,
                    result: result.map(|oc| people.join(oc)).map_err(|e| e.to_string()),
                };
                if tx.send(msg).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        });
    }
}

/// Entries other consoles wrote to the same store show up here: at once when the store
/// has a change feed (PostgreSQL's NOTIFY), else within `STORE_SYNC`.
fn start_store_sync(store: Arc<dyn Store>, tx: mpsc::Sender<Msg>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        // The start's ownership read covers what came before; follow from the newest entry
        // (once the store answers, if it is out of reach now).
        let follower = loop {
            let s = store.clone();
            if let Ok(Ok(f)) = tokio::task::spawn_blocking(move || Follower::start(s.as_ref())).await {
                break f;
            }
            tokio::select! {
                _ = tokio::time::sleep(STORE_SYNC) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        };
        follow(store, follower, tx, stop).await;
    });
    async fn follow(
        store: Arc<dyn Store>,
        mut follower: Follower,
        tx: mpsc::Sender<Msg>,
        mut stop: watch::Receiver<bool>,
    ) {
        let woken = Arc::new(Notify::new());
        let (w, running) = (woken.clone(), stop.clone());
        let live = store.subscribe(Box::new(move || {
            w.notify_one();
            !*running.borrow()
        }));
        let every = if live { STORE_SYNC * 15 } else { STORE_SYNC };
        loop {
            tokio::select! {
                _ = woken.notified() => {}
                _ = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let s = store.clone();
            let Ok((f, Ok(entries))) = tokio::task::spawn_blocking(move || {
                let got = follower.catch_up(s.as_ref());
                (follower, got)
            })
            .await
            else {
                continue;
            };
            follower = f;
            if !entries.is_empty() && tx.send(Msg::Entries(entries)).await.is_err() {
                return;
            }
        }
    }
}

/// Effects run one batch at a time, in order: a draft is deleted only after the note it
/// became is in the store. A stored action that goes to a source wakes the outbox.
fn start_effects(
    session: Arc<Session>,
    drafts: Drafts,
    tx: mpsc::Sender<Msg>,
    kick: Arc<Notify>,
    library: Arc<crate::runbooks::Library>,
    notify: mpsc::Sender<Vec<crate::model::Notice>>,
    logs: Arc<crate::logs::Built>,
) -> mpsc::UnboundedSender<Vec<Effect>> {
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel::<Vec<Effect>>();
    let cache = session.runbook_cache();
    let log_tx = forward_logs(tx.clone());
    tokio::spawn(async move {
        // The follows of the alert the log pane shows: aborted when it shows another or closes.
        let mut follows: Vec<tokio::task::JoinHandle<()>> = Vec::new();
        while let Some(mut batch) = fx_rx.recv().await {
            // Reading a runbook may wait on the network: it runs on its own.
            batch.retain(|e| match e {
                Effect::LoadRunbook(reference) => {
                    let (lib, cache, tx, reference) = (library.clone(), cache.clone(), tx.clone(), reference.clone());
                    tokio::spawn(async move {
                        let result = crate::runbooks::cache::load(&lib, &cache, &reference).await;
                        let _ = tx.send(Msg::RunbookLoaded { reference, result }).await;
                    });
                    false
                }
                Effect::Copy(text) => {
                    copy_to_clipboard(text);
                    false
                }
                Effect::Notify(notices) => {
                    let _ = notify.try_send(notices.clone());
                    false
                }
                Effect::FollowLogs(alert) => {
                    follows.drain(..).for_each(|f| f.abort());
                    let now = chrono::Utc::now();
                    for (name, built) in logs.iter() {
                        match built {
                            Ok(src) => follows.push(crate::logs::follow(src, alert, now, log_tx.clone())),
                            Err(e) => {
                                let event = crate::logs::LogEvent::Failed {
                                    alert: alert.key.clone(),
                                    source: name.clone(),
                                    error: e.clone(),
                                };
                                let _ = log_tx.try_send(event);
                            }
                        }
                    }
                    false
                }
                Effect::StopLogs => {
                    follows.drain(..).for_each(|f| f.abort());
                    false
                }
                _ => true,
            });
            if batch.is_empty() {
                continue;
            }
            let appends = batch.iter().any(|e| matches!(e, Effect::Append(_)));
            let (session, drafts) = (session.clone(), drafts.clone());
            let Ok(msgs) = tokio::task::spawn_blocking(move || run_effects(&session, &drafts, batch)).await else {
                continue;
            };
            for m in msgs {
                let _ = tx.send(m).await;
            }
            if appends {
                kick.notify_one();
            }
        }
    });
    fx_tx
}

fn run_effects(session: &Session, drafts: &Drafts, batch: Vec<Effect>) -> Vec<Msg> {
    let store = session.store.as_ref();
    let mut msgs = Vec::new();
    let mut failed = Vec::new();
    for effect in batch {
        match effect {
            Effect::Append(entry) => match session.store_entry(&entry) {
                Ok(e) => msgs.push(Msg::Entries(vec![e])),
                Err(e) => {
                    failed.push(entry.alert_key.clone());
                    msgs.push(Msg::AppendFailed { op_id: entry.op_id, key: entry.alert_key, error: e.to_string() });
                }
            },
            Effect::LoadTimeline(key) => match store.timeline(&key) {
                Ok(entries) => msgs.push(Msg::Timeline { key, entries }),
                Err(e) => msgs.push(Msg::EffectFailed(e.to_string())),
            },
            Effect::SaveDraft { key, text } => {
                if let Err(e) = drafts.save(&key, &text) {
                    msgs.push(Msg::EffectFailed(format!("draft not saved to disk: {e}")));
                }
            }
            Effect::DeleteDraft(key) if failed.contains(&key) => {
                msgs.push(Msg::Drafts(drafts.load_all()));
            }
            Effect::DeleteDraft(key) => {
                let _ = drafts.delete(&key);
            }
            Effect::LoadReports { since, until, page_severity } => {
                let q = crate::report::ReportQuery { since, until, page_severity, matchers: Vec::new() };
                let data = crate::report::view_data(store, &q)
                    .map(|(summary, noise)| Box::new(crate::app::reports::ReportData { summary, noise }));
                msgs.push(Msg::Reports(data.map_err(|e| e.to_string())));
            }
            // Taken out of the batch before (a theme by the drawing loop).
            Effect::LoadRunbook(_)
            | Effect::Copy(_)
            | Effect::Notify(_)
            | Effect::FollowLogs(_)
            | Effect::StopLogs
            | Effect::SetTheme(_) => {}
        }
    }
    msgs
}

/// Log sources' reports become messages for the log pane.
fn forward_logs(tx: mpsc::Sender<Msg>) -> mpsc::Sender<crate::logs::LogEvent> {
    use crate::app::logs::LogUpdate;
    use crate::logs::LogEvent;
    let (log_tx, mut log_rx) = mpsc::channel::<LogEvent>(64);
    tokio::spawn(async move {
        while let Some(event) = log_rx.recv().await {
            let msg = match event {
                LogEvent::Lines { alert, source, lines } => Msg::Log { alert, source, update: LogUpdate::Lines(lines) },
                LogEvent::Failed { alert, source, error } => {
                    Msg::Log { alert, source, update: LogUpdate::Failed(error) }
                }
                LogEvent::Skipped { alert, source, why } => Msg::Log { alert, source, update: LogUpdate::Skipped(why) },
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
    log_tx
}

/// Sends queued actions to their sources: when woken by a new one, and every 10 s for
/// retries. What happened goes to the status bar.
fn start_outbox(session: Arc<Session>, tx: mpsc::Sender<Msg>, mut stop: watch::Receiver<bool>) -> Arc<Notify> {
    let kick = Arc::new(Notify::new());
    let woken = kick.clone();
    tokio::spawn(async move {
        loop {
            let report = crate::sync::drain(session.store.clone(), &session.targets(), false).await;
            let unsent = Msg::Unsent(report.unsent());
            let msgs = report.done.into_iter().map(|d| Msg::Notice(format!("sent {d}")));
            let msgs = msgs.chain(report.failed.into_iter().map(|f| Msg::EffectFailed(format!("not sent yet: {f}"))));
            let msgs = msgs.chain([unsent]);
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = woken.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    });
    kick
}

/// OSC 52: the terminal (through SSH; tmux forwards it with set-clipboard) puts the text
/// on the clipboard. One write, so it cannot land inside another escape sequence.
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    let seq = format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text));
    let mut out = std::io::stdout();
    let _ = out.write_all(seq.as_bytes()).and_then(|_| out.flush());
}

fn start_input(tx: mpsc::Sender<Msg>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        loop {
            let event = tokio::select! {
                e = events.next() => e,
                _ = stop.wait_for(|s| *s) => return,
            };
            let Some(Ok(event)) = event else { return };
            if let Some(msg) = translate(event)
                && tx.send(msg).await.is_err()
            {
                return;
            }
        }
    });
}

fn start_ticks(tx: mpsc::Sender<Msg>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if tx.send(Msg::Tick(chrono::Utc::now())).await.is_err() {
                return;
            }
        }
    });
}

/// crossterm's events as the app's messages.
pub fn translate(event: Event) -> Option<Msg> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            let code = match k.code {
                ct::KeyCode::Char(c) => KeyCode::Char(c),
                ct::KeyCode::Enter => KeyCode::Enter,
                ct::KeyCode::Esc => KeyCode::Esc,
                ct::KeyCode::Tab => KeyCode::Tab,
                ct::KeyCode::BackTab => KeyCode::BackTab,
                ct::KeyCode::Backspace => KeyCode::Backspace,
                ct::KeyCode::Delete => KeyCode::Delete,
                ct::KeyCode::Up => KeyCode::Up,
                ct::KeyCode::Down => KeyCode::Down,
                ct::KeyCode::Left => KeyCode::Left,
                ct::KeyCode::Right => KeyCode::Right,
                ct::KeyCode::PageUp => KeyCode::PageUp,
                ct::KeyCode::PageDown => KeyCode::PageDown,
                ct::KeyCode::Home => KeyCode::Home,
                ct::KeyCode::End => KeyCode::End,
                ct::KeyCode::F(n) => KeyCode::F(n),
                _ => return None,
            };
            let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
            let alt = k.modifiers.contains(KeyModifiers::ALT);
            // Shift is already in the character ('G'); ctrl-letters are matched lower case.
            let code = match code {
                KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
                c => c,
            };
            Some(Msg::Key(Key { code, ctrl, alt }))
        }
        Event::Mouse(m) => {
            let (column, row) = (m.column, m.row);
            match m.kind {
                MouseEventKind::Down(ct::MouseButton::Left) => Some(Msg::Mouse(Mouse::Click { column, row })),
                MouseEventKind::ScrollDown => Some(Msg::Mouse(Mouse::ScrollDown { column, row })),
                MouseEventKind::ScrollUp => Some(Msg::Mouse(Mouse::ScrollUp { column, row })),
                _ => None,
            }
        }
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

/// Raw mode, the alternate screen and mouse capture, undone on drop (normal exit, error
/// path) and by the crash hook for a panic of the main thread ([`crate::crash`]).
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<std::io::Stdout>>,
}

impl TerminalGuard {
    fn enter() -> std::io::Result<Self> {
        TERMINAL_ACTIVE.store(true, std::sync::atomic::Ordering::SeqCst);
        terminal::enable_raw_mode()?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(out, terminal::EnterAlternateScreen, ct::EnableMouseCapture, crossterm::cursor::Hide) {
            restore_terminal();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(out))?;
        Ok(TerminalGuard { terminal })
    }

    fn draw(&mut self, state: &State, theme: &Theme) -> std::io::Result<app::scroll::Drawn> {
        execute!(self.terminal.backend_mut(), terminal::BeginSynchronizedUpdate)?;
        let mut measured = app::scroll::Drawn::default();
        let drawn = self.terminal.draw(|f| measured = crate::ui::draw(state, theme, f)).map(|_| measured);
        execute!(self.terminal.backend_mut(), terminal::EndSynchronizedUpdate)?;
        drawn
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        TERMINAL_ACTIVE.store(false, std::sync::atomic::Ordering::SeqCst);
        restore_terminal();
    }
}

/// Whether the console holds the terminal (raw mode, alternate screen): the crash hook
/// restores it only then, so a crash of `klaxon list` writes no escape codes.
static TERMINAL_ACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For the crash hook: puts the terminal back if the console has it.
pub fn restore_if_active() {
    if TERMINAL_ACTIVE.swap(false, std::sync::atomic::Ordering::SeqCst) {
        restore_terminal();
    }
}

/// Best effort: after an SSH drop there is no terminal left to write to.
fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(out, ct::DisableMouseCapture, terminal::LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = out.flush();
}

/// SIGTERM, SIGHUP (the SSH connection dropped) and SIGINT all end the console cleanly.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn next(&mut self) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => _ = s.recv().await,
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.term) => {}
            _ = recv(&mut self.hup) => {}
            _ = recv(&mut self.int) => {}
        }
    }
}
