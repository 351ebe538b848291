//! The one place that owns the terminal, the channels and the tasks. The [`Console`] feeds
//! `Msg`s to `app::update`, carries out the `Effect`s it returns, and draws with `ui::view`
//! when something changed, coalescing bursts into one synchronized frame, on any ratatui
//! backend; [`run`] is the crossterm edge around it (terminal guard, input, ticks, signals).

use crate::Error;
use crate::app::Keymap;
use crate::app::{self, Effect, Key, KeyCode, Mouse, Msg, State};
use crate::config::Origin;
use crate::config::theme::Theme;
use crate::model::Ranked;
use crate::session::Session;
use crate::store::{Drafts, Follower, Store};
use crossterm::event::{self as ct, Event, KeyEventKind, KeyModifiers, MouseEventKind};
use crossterm::{execute, terminal};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::{mpsc, watch};

/// How often other consoles' entries are picked up from a store that has no change feed.
const STORE_SYNC: Duration = Duration::from_secs(2);

/// How long after a store's change is told the follower reads: a burst of writes is read once.
const FEED_SETTLE: Duration = Duration::from_millis(250);

/// After a read the feed woke, one more this long after. SQLite's file tells of a commit's
/// last write to the WAL before the commit is synced and visible, which on a busy disk can
/// take longer than the settle; nothing else would tell of it until the next write.
const FEED_RECHECK: Duration = Duration::from_secs(2);

/// The console on the real terminal: the crossterm edge (the terminal guard, keys and
/// mouse, the clock's ticks, signals) around the [`Console`].
pub async fn run(session: Session) -> Result<(), Error> {
    let look = Look::load(&session)?;
    if !std::io::stdout().is_terminal() {
        return Err(Error::Invalid(
            "the console needs a terminal; `klaxon list` and `klaxon watch` work without one".into(),
        ));
    }
    let mut console = Console::start(session, look).await?;
    start_input(console.sender(), console.stopping());
    start_ticks(console.sender(), console.due(), console.stopping());
    let mut guard = TerminalGuard::enter().map_err(|e| Error::Failed(format!("cannot set up the terminal: {e}")))?;
    let mut signals = Signals::new();
    let ran = console.run(&mut guard.terminal, signals.next()).await;
    // On the screen that says "saving: …" while it is stored.
    let not_saved = console.finish().await;
    drop(guard);
    // Said once the terminal is back, and the exit is a failure: the screen that would have
    // said it is gone.
    if !not_saved.is_empty() {
        return Err(Error::Failed(not_saved.join("\n")));
    }
    ran
}

/// How the console looks and which keys do what: read before anything starts, so a bad
/// theme or keymap file is said first.
pub struct Look {
    pub theme: Theme,
    pub keymap: Keymap,
    themes_dir: std::path::PathBuf,
    no_color: bool,
}

impl Look {
    pub fn load(session: &Session) -> Result<Look, Error> {
        let cfg = &session.loaded.config;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let themes_dir = session.loaded.dirs.config.join("themes");
        let theme = Theme::load(&cfg.ui.theme, &themes_dir, no_color)?;
        let keymap = Keymap::load(&cfg.ui.keymap, &session.loaded.dirs.config.join("keymaps"))?;
        Ok(Look { theme, keymap, themes_dir, no_color })
    }
}

/// The console without its terminal: the state, the tasks (engine, schedules, store sync,
/// outbox, notifications, effects) and the channel every message comes in on. Keys come in on
/// [`Console::sender`], as the input task sends them; [`Console::run`] draws on any ratatui
/// backend, so a test drives the whole app on a `TestBackend`.
pub struct Console {
    pub state: State,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    /// Keys, mouse, resizes and ticks: read before anything else waiting, so a key never
    /// queues behind a storm's snapshots.
    input_tx: mpsc::Sender<Msg>,
    input_rx: mpsc::Receiver<Msg>,
    /// Taken from `rx`, not yet handled: older snapshots of a source are dropped from here.
    pending: std::collections::VecDeque<Msg>,
    /// The next moment something shown changes by itself, for the tick task.
    due: watch::Sender<Option<chrono::DateTime<chrono::Utc>>>,
    effects: mpsc::UnboundedSender<Vec<Effect>>,
    /// The task that carries the effects out, awaited by [`Console::finish`].
    effects_task: Option<tokio::task::JoinHandle<()>>,
    theme: Theme,
    themes_dir: std::path::PathBuf,
    no_color: bool,
    stop: watch::Sender<bool>,
}

impl Console {
    /// Builds the state from the session's config and starts the tasks.
    pub async fn start(session: Session, look: Look) -> Result<Console, Error> {
        let cfg = session.loaded.config.clone();
        let Look { theme, keymap, themes_dir, no_color } = look;
        // The clock and the op ids' random seed come from here: the update has neither.
        let mut state = State::new(&session.actor, keymap, chrono::Utc::now(), fastrand::u64(..));
        let logs = Arc::new(crate::logs::build_all(&cfg.logs, session.config_dir().as_deref()));
        let log_capacity = cfg.logs.iter().map(|l| l.buffer).max().unwrap_or(1);
        state.logs = app::logs::LogPane::new(logs.iter().map(|(n, _)| n.clone()).collect(), log_capacity);
        state.runbooks.copy_code = cfg.runbooks.copy_code;
        state.attention.notify_min = cfg.notify.min_severity;
        state.email = cfg.identity.email.clone();
        state.escalation.shift_notice =
            chrono::Duration::from_std(cfg.escalation.shift_notice).unwrap_or(state.escalation.shift_notice);
        state.escalation.auto_escalate = cfg.escalation.auto_after.and_then(|d| chrono::Duration::from_std(d).ok());
        let every = session.loaded.config.incidents.update_every;
        state.incidents.update_every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        state.source_actions = session
            .sources
            .iter()
            .map(|(c, s)| {
                (c.name.clone(), crate::model::EntryKind::ALL.into_iter().filter(|k| s.mirrors(*k)).collect())
            })
            .collect();
        state.escalation.pagers = session.pager_chain();
        state.escalation.at_source = session
            .sources
            .iter()
            .map(|(c, _)| {
                let levels = (1..=session.top_level()).filter(|l| crate::actions::escalates_at(&session, &c.name, *l));
                (c.name.clone(), levels.collect())
            })
            .collect();
        // Read off the path to the first frame (every Markdown file under the runbook folders):
        // the pane and the effects take it when it comes.
        let library: Arc<std::sync::OnceLock<Arc<crate::runbooks::Library>>> = Arc::default();
        if session.loaded.origin == Origin::Embedded {
            state.origin = Some("embedded default".into());
        }
        let drafts = Drafts::new(&session.loaded.dirs.data.join("drafts"));
        let (tx, rx) = mpsc::channel::<Msg>(1024);
        let (stop, stop_rx) = watch::channel(false);
        start_sources(&session, tx.clone(), stop_rx.clone());
        start_schedules(&session, tx.clone(), stop_rx.clone());
        start_slos(&session, tx.clone(), stop_rx.clone());
        start_store_sync(session.store.clone(), tx.clone(), stop_rx.clone());
        let session = Arc::new(session);
        let kick = start_outbox(session.clone(), tx.clone(), stop_rx);
        let notify = {
            let tx = tx.clone();
            // Said once beside the hints, not over them: no D-Bus over SSH is normal.
            crate::notify::spawn(&cfg.notify, move |e| _ = tx.try_send(Msg::ChannelFailed(e)))
        };
        let (effects, effects_task) =
            start_effects(session.clone(), drafts.clone(), tx.clone(), kick, library.clone(), notify, logs);
        let effects_task = Some(effects_task);
        {
            let (store, tx) = (session.store.clone(), tx.clone());
            tokio::spawn(async move {
                let loaded = tokio::task::spawn_blocking(move || {
                    let incidents = store.entries_of_kind(crate::model::EntryKind::Incident);
                    (store.ownership(), drafts.load_all(), incidents)
                })
                .await;
                if let Ok((own, drafts, incidents)) = loaded {
                    match own {
                        Ok(own) => _ = tx.send(Msg::Ownership(own)).await,
                        Err(e) => _ = tx.send(Msg::EffectFailed(e.to_string())).await,
                    }
                    let _ = tx.send(Msg::Drafts(drafts)).await;
                    // Declared incidents so far; later entries come with everyone's.
                    match incidents {
                        Ok(entries) => _ = tx.send(Msg::Entries(entries)).await,
                        Err(e) => _ = tx.send(Msg::EffectFailed(e.to_string())).await,
                    }
                }
            });
        }
        {
            let (session, tx) = (session.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok((read, problems)) = tokio::task::spawn_blocking(move || session.runbooks()).await else {
                    return;
                };
                let read = Arc::new(read);
                let _ = library.set(read.clone());
                let _ = tx.send(Msg::Runbooks(read)).await;
                if let Some(p) = problems.first() {
                    let more =
                        if problems.len() > 1 { format!(" (and {} more)", problems.len() - 1) } else { String::new() };
                    let _ = tx.send(Msg::EffectFailed(format!("runbooks: {p}{more}"))).await;
                }
            });
        }
        let (input_tx, input_rx) = mpsc::channel::<Msg>(256);
        let due = watch::channel(None).0;
        let pending = Default::default();
        Ok(Console {
            state,
            tx,
            rx,
            input_tx,
            input_rx,
            pending,
            due,
            effects,
            effects_task,
            theme,
            themes_dir,
            no_color,
            stop,
        })
    }

    /// Where messages come in: keys, mouse, resizes and ticks from the edge. They go before
    /// what the tasks sent (snapshots, entries…) and are drawn at once.
    pub fn sender(&self) -> mpsc::Sender<Msg> {
        self.input_tx.clone()
    }

    /// The next moment something on screen changes by itself besides the minute (an automatic
    /// escalation, a shift notice, the end of a mute): the tick task sleeps until then.
    pub fn due(&self) -> watch::Receiver<Option<chrono::DateTime<chrono::Utc>>> {
        self.due.subscribe()
    }

    /// Turns true when the console ends: the edge's tasks stop with it.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs until `q` (or `quit` resolves): update with each message, carry out the
    /// effects, draw when something changed. Input goes first: a key is handled before
    /// anything else waiting and drawn at once; the rest is handled in bursts drawn as one
    /// frame, a source's snapshot only when it is its newest one waiting. The tasks run on
    /// until the console is dropped.
    pub async fn run<B: Backend + FrameBracket>(
        &mut self,
        terminal: &mut Terminal<B>,
        quit: impl std::future::Future<Output = ()>,
    ) -> Result<(), Error> {
        use futures_util::FutureExt;
        let size = terminal.size().map_err(|e| Error::Failed(e.to_string()))?;
        app::update(&mut self.state, Msg::Resize { width: size.width, height: size.height });
        let mut drawn = app::scroll::Drawn::default();
        let mut quit = std::pin::pin!(quit);
        loop {
            if self.state.dirty {
                let started = std::time::Instant::now();
                let now = draw(terminal, &self.state, &self.theme)
                    .map_err(|e| Error::Failed(format!("drawing failed: {e}")))?;
                ui_time("draw", started.elapsed());
                key_drawn();
                self.state.dirty = false;
                // What the frame measured keeps scrolling inside the text; it changes rarely.
                if now != drawn {
                    drawn = now;
                    app::update(&mut self.state, Msg::Drawn(now));
                    continue;
                }
            }
            self.publish_due();
            let msg = if let Ok(msg) = self.input_rx.try_recv() {
                Some(msg)
            } else if self.pending.is_empty() {
                let msg = tokio::select! {
                    biased;
                    _ = &mut quit => break,
                    m = self.input_rx.recv() => m,
                    m = self.rx.recv() => m,
                };
                let Some(msg) = msg else { break };
                Some(msg)
            } else if (&mut quit).now_or_never().is_some() {
                break;
            } else {
                None
            };
            if let Some(msg) = msg {
                let input = is_input(&msg);
                self.handle(msg);
                if input || self.state.quit {
                    // Drawn at once, before anything else waiting.
                    if self.state.quit {
                        break;
                    }
                    continue;
                }
            }
            // A burst of what waits, drawn as one frame; input that comes meanwhile cuts it.
            self.take_waiting();
            while let Some(msg) = self.pending.pop_front() {
                self.handle(msg);
                if self.state.quit || !self.input_rx.is_empty() {
                    break;
                }
            }
            if self.state.quit {
                break;
            }
        }
        Ok(())
    }

    fn handle(&mut self, msg: Msg) {
        let (kind, started) = (msg_kind(&msg), std::time::Instant::now());
        let fx = app::update(&mut self.state, msg);
        self.send(fx);
        // Freeing what a 50,000-alert snapshot replaced takes a while: not here.
        let retired = self.state.list.board.take_retired();
        if !retired.is_empty() {
            in_background(move || timed("drop (off the UI task)", || drop(retired)));
        }
        ui_time(kind, started.elapsed());
    }

    /// Moves what the tasks sent into `pending` (bounded, so a flood cannot keep the screen
    /// from being drawn, or `q` from working), then drops each snapshot a newer one of the
    /// same source replaces.
    fn take_waiting(&mut self) {
        while self.pending.len() < 256 {
            let Ok(msg) = self.rx.try_recv() else { break };
            self.pending.push_back(msg);
        }
        let dropped = coalesce(&mut self.pending);
        if !dropped.is_empty() {
            // A 50,000-alert snapshot takes a while to free: not here either.
            in_background(move || drop(dropped));
        }
    }

    /// Tells the tick task when something shown changes next, if that moved.
    fn publish_due(&self) {
        let next = self.state.next_due();
        self.due.send_if_modified(|due| {
            let changed = *due != next;
            *due = next;
            changed
        });
    }

    /// Never awaited: the effect runner sends its results back on `tx`, so a loop that
    /// waited on it could wait forever. What it holds is what keys and messages asked for,
    /// a few effects each (a storm asks for none: see `on_entries`).
    fn send(&mut self, mut fx: Vec<Effect>) {
        // `:theme NAME`: the loop draws with the theme, so it is switched here.
        fx.retain(|e| match e {
            Effect::SetTheme(name) => {
                let said = match Theme::load(name, &self.themes_dir, self.no_color) {
                    Ok(t) => {
                        self.theme = t;
                        Msg::Notice(format!("theme {name} (for this session; [ui] theme keeps it)"))
                    }
                    Err(e) => Msg::EffectFailed(e.to_string()),
                };
                let _ = self.tx.try_send(said);
                false
            }
            _ => true,
        });
        if !fx.is_empty() {
            let _ = self.effects.send(fx);
        }
    }

    /// Carries out what was asked before the console ended (an ack, a note: `a` then `q` in
    /// one breath) and waits for it to be stored. The effects run on a task of the async
    /// runtime, which ending the runtime would drop with the effect still queued: the ack
    /// was said to be saving and never stored. The channel is closed and drained instead,
    /// and what could not be stored meanwhile is returned, for the caller to say.
    pub async fn finish(&mut self) -> Vec<String> {
        let _ = self.stop.send(true);
        drop(std::mem::replace(&mut self.effects, mpsc::unbounded_channel().0));
        let mut not_saved = Vec::new();
        let mut heard = |msg: Msg| {
            if let Msg::AppendFailed { key, error, .. } = msg {
                not_saved.push(format!("NOT saved for {key}: {error}; any draft is kept"));
            }
        };
        if let Some(mut task) = self.effects_task.take() {
            // The answers are read meanwhile: the task waits for room on the channel.
            loop {
                tokio::select! {
                    _ = &mut task => break,
                    msg = self.rx.recv() => match msg {
                        Some(msg) => heard(msg),
                        None => {
                            let _ = (&mut task).await;
                            break;
                        }
                    },
                }
            }
        }
        self.rx.close();
        while let Ok(msg) = self.rx.try_recv() {
            heard(msg);
        }
        not_saved
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Brackets a frame so the terminal shows it whole (synchronized output); nothing to do
/// where there is no terminal.
pub trait FrameBracket {
    fn begin_frame(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn end_frame(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> FrameBracket for CrosstermBackend<W> {
    fn begin_frame(&mut self) -> std::io::Result<()> {
        execute!(self, terminal::BeginSynchronizedUpdate)
    }
    fn end_frame(&mut self) -> std::io::Result<()> {
        execute!(self, terminal::EndSynchronizedUpdate)
    }
}

impl FrameBracket for ratatui::backend::TestBackend {}

/// One frame, inside a synchronized update; returns what it measured for scrolling.
fn draw<B: Backend + FrameBracket>(
    terminal: &mut Terminal<B>,
    state: &State,
    theme: &Theme,
) -> Result<app::scroll::Drawn, String> {
    terminal.backend_mut().begin_frame().map_err(|e| e.to_string())?;
    let mut measured = app::scroll::Drawn::default();
    let drawn = terminal.draw(|f| measured = crate::ui::draw(state, theme, f)).map(|_| measured);
    terminal.backend_mut().end_frame().map_err(|e| e.to_string())?;
    drawn.map_err(|e| e.to_string())
}

/// The engine's events as the console's messages: the snapshot first, then what the store
/// made of it.
fn start_sources(session: &Session, tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    use crate::engine::Event;
    let mut events = crate::engine::start(&session.sources, &session.cache, session.store.clone(), stop);
    tokio::spawn(async move {
        // What each source reported last, to tell what changed: kept here, beside the
        // ranking, so the task that answers keys never looks at a whole snapshot for news.
        let mut watcher = crate::model::Watcher::default();
        while let Some(event) = events.recv().await {
            let msg = match event {
                Event::CachedHead { source, head } => {
                    Msg::CachedHead { source, alerts: head.alerts, total: head.total }
                }
                Event::Snapshot { source, alerts, fresh } => {
                    // Ranked (and the shared snapshot copied, while the store still reads it)
                    // on the background thread: the task that answers keys only merges.
                    let (mut w, name) = (std::mem::take(&mut watcher), source.clone());
                    let rank = move || {
                        let ranked = timed("rank (off the UI task)", || {
                            Ranked::observed(&name, std::sync::Arc::unwrap_or_clone(alerts), fresh, &mut w)
                        });
                        (ranked, w)
                    };
                    let (done, ranked) = tokio::sync::oneshot::channel();
                    in_background(move || drop(done.send(rank())));
                    let Ok((ranked, w)) = ranked.await else {
                        return;
                    };
                    watcher = w;
                    Msg::Ranked { source, ranked, fresh }
                }
                Event::Recorded { entries, .. } if entries.is_empty() => continue,
                Event::Recorded { entries, .. } => Msg::Entries(entries),
                Event::StoreFailed { trouble, .. } => Msg::EffectFailed(trouble.to_string()),
                Event::Health { source, health, next } => Msg::Health { source, health, next },
                Event::Silences { source, silences } => Msg::Silences { source, silences },
                Event::CacheFailed { source, error } => Msg::EffectFailed(crate::engine::cache_failed(&source, &error)),
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
}

/// One task per schedule, on the [`crate::periodic::Periodic`] helper: ask at its interval,
/// and again just after each handoff it knows of, so the header never shows a shift that has
/// ended; back off on failure (from a minute at most).
fn start_schedules(session: &Session, tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    let people = crate::people::People::new(&session.loaded.config.people);
    for (cfg, schedule) in &session.schedules {
        let (schedule, tx, mut stop, cfg) = (schedule.clone(), tx.clone(), stop.clone(), cfg.clone());
        let people = people.clone();
        tokio::spawn(async move {
            let mut task =
                crate::periodic::Periodic::new(cfg.interval, cfg.timeout).retry_from(Duration::from_secs(60));
            loop {
                let now = chrono::Utc::now();
                let result = task.round(|| schedule.oncall(now)).await;
                let handoff = result.as_ref().ok().and_then(|oc| {
                    let t = oc.until().or(oc.next.as_ref().map(|n| n.start)).filter(|t| *t > now)?;
                    (t - now + chrono::Duration::seconds(1)).to_std().ok()
                });
                let delay = task.next(handoff);
                let msg = Msg::OnCall {
                    schedule: cfg.name.clone(),
                    level: cfg.level,
                    result: result.map(|oc| people.join(oc)).map_err(|e| e.to_string()),
                };
                if tx.send(msg).await.is_err() || !crate::periodic::sleep(delay, &mut stop).await {
                    return;
                }
            }
        });
    }
}

/// Every SLO on its own interval (src/slo/track.rs); each round's figures, or why not, go to
/// the view as they come. A spec file that does not read is said in the view, not fatal.
fn start_slos(session: &Session, tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    let slos = crate::slo::files::all(&session.loaded).map_err(|e| e.to_string());
    let tracked = slos.clone().unwrap_or_default();
    let _ = tx.try_send(Msg::Slos(slos));
    if tracked.is_empty() {
        return;
    }
    let (updates, mut rx) = mpsc::channel(64);
    crate::slo::track::spawn(tracked, updates, stop);
    tokio::spawn(async move {
        while let Some(u) = rx.recv().await {
            if tx.send(Msg::Slo(u)).await.is_err() {
                return;
            }
        }
    });
}

/// Entries other consoles wrote to the same store show up here: at once when the store
/// has a change feed (PostgreSQL's NOTIFY, SQLite's file watched), else within `STORE_SYNC`.
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
        // With a change feed that misses nothing (SQLite's file watched) nothing polls: an
        // idle console is not woken. PostgreSQL's NOTIFY can be lost with its connection:
        // a look every 30 s anyway. Without a feed, every `STORE_SYNC`.
        let every = match (live, store.feed_can_miss()) {
            (false, _) => Some(STORE_SYNC),
            (true, true) => Some(STORE_SYNC * 15),
            (true, false) => None,
        };
        // The one more read due after a read the feed woke (or one that found entries: the
        // writes may go on); none while nothing is written, so an idle console sleeps.
        let mut recheck: Option<tokio::time::Instant> = None;
        loop {
            let due = recheck.unwrap_or_else(tokio::time::Instant::now);
            let woke = tokio::select! {
                _ = woken.notified() => true,
                _ = tokio::time::sleep(every.unwrap_or_default()), if every.is_some() => false,
                _ = tokio::time::sleep_until(due), if recheck.is_some() => false,
                _ = stop.wait_for(|s| *s) => return,
            };
            if live && woke {
                // Writes come in bursts (a poll records thousands of entries): read them
                // together, at most a few times a second.
                tokio::select! {
                    _ = tokio::time::sleep(FEED_SETTLE) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
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
            recheck = (live && (woke || !entries.is_empty())).then(|| tokio::time::Instant::now() + FEED_RECHECK);
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
    library: Arc<std::sync::OnceLock<Arc<crate::runbooks::Library>>>,
    notify: mpsc::Sender<Vec<crate::model::Notice>>,
    logs: Arc<crate::logs::Built>,
) -> (mpsc::UnboundedSender<Vec<Effect>>, tokio::task::JoinHandle<()>) {
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel::<Vec<Effect>>();
    let cache = session.runbook_cache();
    let log_tx = forward_logs(tx.clone());
    let task = tokio::spawn(async move {
        // The follows of the alert the log pane shows: aborted when it shows another or closes.
        let mut follows: Vec<tokio::task::JoinHandle<()>> = Vec::new();
        while let Some(mut batch) = fx_rx.recv().await {
            // Reading a runbook may wait on the network: it runs on its own.
            batch.retain(|e| match e {
                Effect::LoadRunbook(reference) => {
                    // Before the library is read, a reference is read without it (a URL, not its mirror).
                    let lib = library.get().cloned().unwrap_or_default();
                    let (cache, tx, reference) = (cache.clone(), tx.clone(), reference.clone());
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
    (fx_tx, task)
}

fn run_effects(session: &Session, drafts: &Drafts, batch: Vec<Effect>) -> Vec<Msg> {
    let store = session.store.as_ref();
    let mut msgs = Vec::new();
    let mut failed = Vec::new();
    for effect in batch {
        match effect {
            Effect::Append(entry) => match crate::actions::store_entry(session, &entry) {
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
                let data = crate::report::view_data(store, &q, session.loaded.config.reports.zone())
                    .map(|(summary, noise)| Box::new(crate::app::reports::ReportData { summary, noise }));
                msgs.push(Msg::Reports(data.map_err(|e| e.to_string())));
            }
            Effect::LoadHistory { since } => {
                let rows = store.resolved_since(since).map(|known| {
                    known
                        .into_iter()
                        .filter_map(|k| {
                            let resolved_at = k.resolved_at?;
                            Some(crate::app::history::Resolved { alert: k.last, first_seen: k.first_seen, resolved_at })
                        })
                        .collect()
                });
                msgs.push(Msg::History(rows.map_err(|e| e.to_string())));
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

/// How long a failed or queued action waits before the outbox tries it again.
const OUTBOX_RETRY: Duration = Duration::from_secs(10);

/// Sends queued actions to their sources: when woken by a new one, and every
/// `OUTBOX_RETRY` while some wait for a retry. What happened goes to the status bar.
fn start_outbox(session: Arc<Session>, tx: mpsc::Sender<Msg>, mut stop: watch::Receiver<bool>) -> Arc<Notify> {
    let kick = Arc::new(Notify::new());
    let woken = kick.clone();
    tokio::spawn(async move {
        loop {
            let report = session.drain(false).await;
            // An outbox that could not be read is tried again too, and its count is not
            // shown as none: the last one known stays.
            let retry = report.unsent() > 0 || report.unread;
            let unsent = (!report.unread).then(|| Msg::Unsent(report.unsent()));
            let msgs = report.done.into_iter().map(|d| Msg::Notice(format!("sent {d}")));
            let msgs = msgs.chain(report.failed.into_iter().map(|f| Msg::EffectFailed(format!("not sent yet: {f}"))));
            let msgs = msgs.chain(unsent);
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
            // Nothing left to send: asleep until an action is stored (no timer at all).
            tokio::select! {
                _ = woken.notified() => {}
                _ = tokio::time::sleep(OUTBOX_RETRY), if retry => {}
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

fn start_input(tx: mpsc::Sender<Msg>, stop: watch::Receiver<bool>) {
    // A thread of its own, blocked on the terminal (no wake-up while nothing is typed): a key
    // reaches the task that answers it without waiting for one of the runtime's two workers,
    // which a storm keeps busy decoding and recording polls.
    let read = move || {
        while !*stop.borrow() {
            let Ok(event) = ct::read() else { return };
            let Some(msg) = translate(event) else { continue };
            // A key may record an entry: it carries the moment it was pressed.
            if matches!(msg, Msg::Key(_)) {
                key_read();
                if tx.blocking_send(Msg::Clock(chrono::Utc::now())).is_err() {
                    return;
                }
            }
            if tx.blocking_send(msg).is_err() {
                return;
            }
        }
    };
    let _ = std::thread::Builder::new().name("klaxon-input".into()).spawn(read);
}

/// The clock: a tick at each minute (the clock and the ages show minutes) and at the next
/// moment the console says something falls due ([`Console::due`]), nothing in between.
fn start_ticks(
    tx: mpsc::Sender<Msg>,
    mut due: watch::Receiver<Option<chrono::DateTime<chrono::Utc>>>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let at = next_tick(now, *due.borrow_and_update());
            // A millisecond late rather than early: the minute has turned when it comes.
            let wait = (at - now).to_std().unwrap_or_default() + Duration::from_millis(1);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                Ok(()) = due.changed() => continue,
                _ = stop.wait_for(|s| *s) => return,
            }
            if tx.send(Msg::Tick(chrono::Utc::now())).await.is_err() {
                return;
            }
        }
    });
}

/// When the clock ticks next after `now`: the next minute, or `due` if that is sooner.
pub fn next_tick(
    now: chrono::DateTime<chrono::Utc>,
    due: Option<chrono::DateTime<chrono::Utc>>,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::DurationRound;
    let minute = chrono::TimeDelta::minutes(1);
    let next_minute = now.duration_trunc(minute).unwrap_or(now) + minute;
    due.filter(|t| *t > now).map_or(next_minute, |t| t.min(next_minute))
}

/// Ends the async runtime with `stop`, which waits for the work under way on its blocking
/// threads (a poll being recorded in the store, the snapshot cache being written, a desktop
/// notification being sent) so that none is cut short. After a storm that can take seconds;
/// the console, gone from the screen by then, says why after half a second.
pub fn stop_saying_why(stop: impl FnOnce()) {
    let (stopped, waiting) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if waiting.recv_timeout(Duration::from_millis(500)) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            eprintln!(
                "klaxon: finishing the work under way (writing to the store or the snapshot cache, a notification)…"
            );
        }
    });
    stop();
    drop(stopped);
}

/// Puts the calling thread at a lower priority (nice 10; Linux keeps it per thread, and a
/// thread it starts inherits it), for threads whose work no key waits for. On two cores busy
/// with a storm the threads that answer keys (the input reader and the one that draws) are
/// given the CPU first, and more of the console's share against other programs goes to them
/// when they wake: the scheduler splits a session's share between the cores by the load on
/// each, and beside a full-priority decoder a woken key waited 50-90 ms for a core.
pub fn behind_keys() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, 10);
}

/// Work no key waits for (ranking a snapshot, freeing what one replaced), in order on one
/// thread [`behind_keys`]. Done here if that thread is gone.
fn in_background(work: impl FnOnce() + Send + 'static) {
    type Work = Box<dyn FnOnce() + Send>;
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<Work>> = std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Work>();
        let run = move || {
            behind_keys();
            for work in rx {
                work();
            }
        };
        let _ = std::thread::Builder::new().name("klaxon-behind".into()).spawn(run);
        tx
    });
    if let Err(std::sync::mpsc::SendError(work)) = queue.send(Box::new(work)) {
        work();
    }
}

/// `KLAXON_UI_TIMES=<file>` (for `benches/console.py`): how long each message took on the
/// task that answers keys, and the work done beside it, one `kind microseconds` line each.
static UI_TIMES: std::sync::OnceLock<Option<UiTimes>> = std::sync::OnceLock::new();

type UiTimes = std::sync::Mutex<std::io::BufWriter<std::fs::File>>;

fn open_ui_times() -> Option<UiTimes> {
    let path = std::env::var_os("KLAXON_UI_TIMES")?;
    std::fs::File::create(path).ok().map(|f| std::sync::Mutex::new(std::io::BufWriter::new(f)))
}

fn ui_time(kind: &str, took: Duration) {
    if let Some(out) = UI_TIMES.get_or_init(open_ui_times)
        && let Ok(mut out) = out.lock()
    {
        let _ = writeln!(out, "{kind} {}", took.as_micros());
        let _ = out.flush();
    }
}

/// When the input thread read the last key not drawn yet (only with `KLAXON_UI_TIMES`): the
/// console's own key-to-frame time, without the terminal's or the harness's part.
static KEY_READ: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

fn key_read() {
    if ui_times_on()
        && let Ok(mut at) = KEY_READ.lock()
    {
        at.get_or_insert_with(std::time::Instant::now);
    }
}

fn key_drawn() {
    if ui_times_on()
        && let Some(at) = KEY_READ.lock().ok().and_then(|mut at| at.take())
    {
        ui_time("key read to frame written", at.elapsed());
    }
}

fn ui_times_on() -> bool {
    UI_TIMES.get_or_init(open_ui_times).is_some()
}

fn timed<T>(kind: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let got = f();
    ui_time(kind, started.elapsed());
    got
}

fn msg_kind(msg: &Msg) -> &'static str {
    match msg {
        Msg::Key(_) => "key",
        Msg::Ranked { .. } | Msg::Snapshot { .. } => "snapshot",
        Msg::Entries(_) => "entries",
        Msg::Tick(_) | Msg::Clock(_) => "clock",
        _ => "other",
    }
}

/// What comes from the person (and the clock): handled before anything else waiting.
fn is_input(msg: &Msg) -> bool {
    matches!(msg, Msg::Key(_) | Msg::Mouse(_) | Msg::Resize { .. } | Msg::Tick(_) | Msg::Clock(_))
}

/// Takes out each snapshot that a later one of the same source (and the same freshness: the
/// disk cache's copy only primes) replaces before it is shown, and returns them (to be freed
/// elsewhere). What was new in a dropped one and is still there is news in the later one
/// ([`Ranked::absorb`]), and what left with it is gone with the later one; what came and went
/// unseen is not told.
fn coalesce(pending: &mut std::collections::VecDeque<Msg>) -> Vec<Msg> {
    // Per (source, freshness), where the newest waiting snapshot is.
    let mut newer: Vec<(String, bool, usize)> = Vec::new();
    let mut dropped = Vec::new();
    let mut i = pending.len();
    while i > 0 {
        i -= 1;
        let (source, fresh) = match &pending[i] {
            Msg::Ranked { source, fresh, .. } | Msg::Snapshot { source, fresh, .. } => (source, *fresh),
            _ => continue,
        };
        if let Some(at) = newer.iter().position(|(s, f, _)| s == source && *f == fresh) {
            let Some(mut old) = pending.remove(i) else { continue };
            // Everything after `i` moved one place up.
            for n in &mut newer {
                n.2 -= 1;
            }
            if let (Msg::Ranked { ranked: older, .. }, Some(Msg::Ranked { ranked, .. })) =
                (&mut old, pending.get_mut(newer[at].2))
            {
                ranked.absorb(older);
            }
            dropped.push(old);
        } else {
            newer.push((source.clone(), fresh, i));
        }
    }
    dropped
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

#[cfg(test)]
mod tests {
    //! The whole console on a `TestBackend`, like gitui's app tests: the real state, tasks,
    //! engine and SQLite store; keys in through the channel the input task uses; frames and
    //! store entries out.

    use super::*;
    use crate::model::{Alert, AlertKey, EntryKind, Severity};
    use crate::sources::{AlertSource, PollFuture};
    use ratatui::backend::TestBackend;

    /// Says one alert whose text carries a terminal escape and a bidi override, as a hostile
    /// or broken server might; the sources leave such text as it came.
    struct Hostile;

    impl AlertSource for Hostile {
        fn name(&self) -> &str {
            "prod"
        }
        fn poll(&self) -> PollFuture<'_> {
            Box::pin(async {
                let mut a = Alert::test("prod", "disk1", Severity::Disaster, chrono::Utc::now());
                a.title = "Disk \u{1b}[2Jalmost full\u{202e}".into();
                a.labels.insert("team", "db\u{7}a");
                Ok(vec![a])
            })
        }
    }

    fn screen(terminal: &Terminal<TestBackend>) -> String {
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    /// Runs the console for a moment at a time until the screen shows `what`.
    async fn until_shown(console: &mut Console, terminal: &mut Terminal<TestBackend>, what: &str) -> String {
        for _ in 0..100 {
            console.run(terminal, tokio::time::sleep(Duration::from_millis(100))).await.unwrap();
            let shown = screen(terminal);
            if shown.contains(what) {
                return shown;
            }
        }
        panic!("the screen never showed {what:?}:\n{}", screen(terminal))
    }

    fn config(dir: &std::path::Path) -> Session {
        let config = dir.join("klaxon.toml");
        std::fs::write(
            &config,
            "[identity]\nname = \"tester\"\n[store]\npath = \"k.db\"\n[notify]\ndesktop = false\nterminal = \"off\"\n\n\
             [[sources]]\nname = \"prod\"\nkind = \"demo\"\ninterval = \"1h\"\n",
        )
        .unwrap();
        let dirs =
            crate::config::paths::Dirs { config: dir.join("config"), data: dir.join("data"), cache: dir.join("cache") };
        let mut session = Session::open_in(Some(&config), dirs).unwrap();
        session.sources[0].1 = Arc::new(Hostile);
        session
    }

    /// The feed wakes the follower, and only after its read does the entry become readable
    /// (nothing more is told): the read after it, a while later, finds it.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_entry_readable_only_after_the_feed_woke_is_still_followed() {
        let dir = tempfile::tempdir().unwrap();
        // A feed that tells of a write before the write can be read, as SQLite's watched
        // file does when syncing the commit takes longer than the follower's settle.
        let store = Arc::new(crate::store::rigged::Rigged {
            feed: true,
            ..crate::store::rigged::Rigged::open(&dir.path().join("k.db"))
        });
        let (tx, mut rx) = mpsc::channel(16);
        let (_stop, stop_rx) = watch::channel(false);
        start_store_sync(store.clone(), tx, stop_rx);
        let wake = loop {
            if let Some(wake) = store.wake.lock().unwrap().take() {
                break wake;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        wake();
        // Past the settle: the read the wake asked for has found nothing by now.
        tokio::time::sleep(FEED_SETTLE * 3).await;
        let key = AlertKey::new("prod", "disk1");
        let entry = crate::model::NewEntry::new(key.clone(), EntryKind::Acked, "bob", "mine");
        store.inner.append(&entry).unwrap();
        let got = tokio::time::timeout(FEED_RECHECK * 5, rx.recv()).await;
        let Ok(Some(Msg::Entries(entries))) = got else { panic!("the entry was never followed") };
        assert_eq!(entries.iter().map(|e| (&e.alert_key, e.kind)).collect::<Vec<_>>(), [(&key, EntryKind::Acked)]);
    }

    /// The console on one thread, the demo's alert shown and known to the store; `before`
    /// runs, then `a` and `q` come at once and the loop runs until it ends. The ack is then
    /// queued for the effects task, which on one thread has not run yet.
    async fn ack_then_quit(dir: &std::path::Path, before: impl FnOnce()) -> (Console, Arc<dyn crate::store::Store>) {
        let session = config(dir);
        let store = session.store.clone();
        let look = Look::load(&session).unwrap();
        let mut console = Console::start(session, look).await.unwrap();
        let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();
        until_shown(&mut console, &mut terminal, "almost full").await;
        for _ in 0..100 {
            if store.known_alert(&AlertKey::new("prod", "disk1")).unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        before();
        let keys = console.sender();
        for c in ['a', 'q'] {
            keys.send(Msg::Key(Key::plain(KeyCode::Char(c)))).await.unwrap();
        }
        console.run(&mut terminal, std::future::pending()).await.unwrap();
        assert!(console.state.quit);
        (console, store)
    }

    /// [`Console::finish`] stores the ack asked for just before quitting.
    #[tokio::test(flavor = "current_thread")]
    async fn an_ack_asked_for_just_before_quitting_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (mut console, store) = ack_then_quit(dir.path(), || {}).await;
        assert_eq!(console.finish().await, Vec::<String>::new(), "nothing failed");
        let acks: Vec<_> = store
            .timeline(&AlertKey::new("prod", "disk1"))
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EntryKind::Acked)
            .collect();
        assert_eq!(acks.len(), 1, "the ack asked for before quitting is stored: {acks:?}");
    }

    /// The same, when the store refuses the ack: the console is gone from the screen, so
    /// `finish` hands the failure back to be said (and the exit to fail).
    #[tokio::test(flavor = "current_thread")]
    async fn an_ack_that_cannot_be_stored_at_quit_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let (mut console, _) = ack_then_quit(dir.path(), || {
            let db = rusqlite::Connection::open(db).unwrap();
            db.execute_batch("ALTER TABLE entries RENAME TO entries_elsewhere").unwrap();
        })
        .await;
        let said = console.finish().await;
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].starts_with("NOT saved for prod/disk1: ") && said[0].contains("entries"), "{said:?}");
    }

    /// A key that comes while a storm's snapshot waits is answered and drawn first: the
    /// snapshot is applied after that frame.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_key_is_answered_and_drawn_before_a_snapshot_that_waits() {
        let dir = tempfile::tempdir().unwrap();
        let session = config(dir.path());
        let look = Look::load(&session).unwrap();
        let mut console = Console::start(session, look).await.unwrap();
        let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();
        let now = chrono::Utc::now();
        let storm: Vec<Alert> =
            (0..5000).map(|i| Alert::test("storm", &format!("a{i}"), Severity::High, now)).collect();
        console.tx.send(Msg::Snapshot { source: "storm".into(), alerts: storm, fresh: true }).await.unwrap();
        console.sender().send(Msg::Key(Key::plain(KeyCode::Char('?')))).await.unwrap();
        // `quit` is ready at once: the loop ends at its first wait, after the key's frame.
        console.run(&mut terminal, std::future::ready(())).await.unwrap();
        assert!(matches!(console.state.mode, app::state::Mode::Help { .. }), "the key was answered");
        assert!(
            console.state.list.board.ranked().iter().all(|i| i.alert.source() != "storm"),
            "the snapshot waits until the key is drawn"
        );
        let shown = screen(&terminal);
        assert!(!shown.contains("5000"), "the key's frame is drawn without the storm:\n{shown}");
        console.sender().send(Msg::Key(Key::plain(KeyCode::Esc))).await.unwrap();
        until_shown(&mut console, &mut terminal, "5001").await;
    }

    /// Of the snapshots waiting, each source's newest is applied; the disk cache's copy (which
    /// only primes what is news) is not replaced by a fresh one, and the rest keeps its order.
    #[test]
    fn only_the_newest_waiting_snapshot_of_a_source_is_kept() {
        let snap = |source: &str, n: usize, fresh: bool| Msg::Snapshot {
            source: source.into(),
            alerts: (0..n).map(|i| Alert::test(source, &format!("a{i}"), Severity::High, chrono::Utc::now())).collect(),
            fresh,
        };
        let mut pending: std::collections::VecDeque<Msg> = [
            snap("am", 1, false),
            snap("am", 2, true),
            Msg::Entries(vec![]),
            snap("zbx", 3, true),
            snap("am", 4, true),
            Msg::Notice("x".into()),
        ]
        .into();
        coalesce(&mut pending);
        let left: Vec<String> = pending
            .iter()
            .map(|m| match m {
                Msg::Snapshot { source, alerts, fresh } => format!("{source} {} {fresh}", alerts.len()),
                Msg::Entries(_) => "entries".into(),
                _ => "other".into(),
            })
            .collect();
        assert_eq!(left, ["am 1 false", "entries", "zbx 3 true", "am 4 true", "other"]);
    }

    /// A snapshot dropped for a newer one hands it what it changed: the alert that came with
    /// it and is still there is news in the newer one, the one that left with it is gone.
    #[test]
    fn a_dropped_snapshot_hands_its_news_and_what_left_to_the_newer_one() {
        let now = chrono::Utc::now();
        let alerts = |ids: &[&str]| ids.iter().map(|id| Alert::test("am", id, Severity::High, now)).collect();
        let mut watcher = crate::model::Watcher::default();
        let mut ranked = |ids: &[&str]| Msg::Ranked {
            source: "am".into(),
            ranked: Ranked::observed("am", alerts(ids), true, &mut watcher),
            fresh: true,
        };
        let mut pending: std::collections::VecDeque<Msg> =
            [ranked(&["old"]), ranked(&["new"]), ranked(&["new", "x"])].into();
        // The first is what the board shows; the second is dropped for the third.
        pending.pop_front();
        let dropped = coalesce(&mut pending);
        assert_eq!((dropped.len(), pending.len()), (1, 1));
        let Some(Msg::Ranked { mut ranked, .. }) = pending.pop_front() else { panic!("the newest stays") };
        let diff = ranked.take_diff().unwrap();
        let mut news: Vec<&str> = diff.news.iter().map(|n| n.key.id()).collect();
        news.sort();
        assert_eq!(news, ["new", "x"]);
        assert_eq!(diff.gone, [AlertKey::new("am", "old")]);
    }

    /// With nothing due, the clock ticks at the next minute (what it shows), not every second.
    #[test]
    fn the_clock_ticks_at_the_next_minute_or_when_something_falls_due() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 7, 41, 12).unwrap();
        let minute = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 7, 42, 0).unwrap();
        assert_eq!(next_tick(now, None), minute);
        let escalation = now + chrono::Duration::seconds(20);
        assert_eq!(next_tick(now, Some(escalation)), escalation);
        assert_eq!(next_tick(now, Some(minute + chrono::Duration::minutes(5))), minute);
        assert_eq!(next_tick(now, Some(now - chrono::Duration::seconds(1))), minute, "what is past is not waited for");
        assert_eq!(next_tick(minute, None), minute + chrono::Duration::minutes(1));
    }

    /// With nothing waiting to be sent, the outbox sets no timer: in virtual time, nothing
    /// more comes from it for an hour (it used to go round every 10 s).
    #[tokio::test(start_paused = true)]
    async fn the_outbox_sleeps_without_a_timer_when_nothing_waits() {
        let dir = tempfile::tempdir().unwrap();
        let session = Arc::new(config(dir.path()));
        let (tx, mut rx) = mpsc::channel(16);
        let (_stop, stop_rx) = watch::channel(false);
        let kick = start_outbox(session, tx, stop_rx);
        assert!(matches!(rx.recv().await, Some(Msg::Unsent(0))), "the first round finds nothing");
        let more = tokio::time::timeout(Duration::from_secs(3600), rx.recv()).await;
        assert!(more.is_err(), "the outbox went round with nothing to send: {more:?}");
        kick.notify_one();
        assert!(matches!(rx.recv().await, Some(Msg::Unsent(0))), "a stored action wakes it");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn keys_in_frames_and_store_entries_out() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("klaxon.toml");
        std::fs::write(
            &config,
            "[identity]\nname = \"tester\"\n[store]\npath = \"k.db\"\n[notify]\ndesktop = false\nterminal = \"off\"\n\n\
             [[sources]]\nname = \"prod\"\nkind = \"demo\"\ninterval = \"1h\"\n",
        )
        .unwrap();
        let dirs = crate::config::paths::Dirs {
            config: dir.path().join("config"),
            data: dir.path().join("data"),
            cache: dir.path().join("cache"),
        };
        let mut session = Session::open_in(Some(&config), dirs).unwrap();
        session.sources[0].1 = Arc::new(Hostile);
        let store = session.store.clone();
        let look = Look::load(&session).unwrap();
        let mut console = Console::start(session, look).await.unwrap();
        let keys = console.sender();
        let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();

        // The source's alert reaches the screen and the store, and no control character with it.
        let shown = until_shown(&mut console, &mut terminal, "Disk [2Jalmost full").await;
        assert!(crate::sanitize::is_clean(&shown), "a control character reached the screen:\n{shown}");
        let key = AlertKey::new("prod", "disk1");
        let mut known = None;
        for _ in 0..100 {
            known = store.known_alert(&key).unwrap();
            if known.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let known = known.expect("the store recorded the alert");
        assert_eq!(known.last.title, "Disk [2Jalmost full");
        assert_eq!(&known.last.labels["team"], "dba");
        assert_eq!(console.state.list.board.get(&key).unwrap().alert.title, "Disk [2Jalmost full");

        // `a` acknowledges the selected alert: stored first, then said on screen.
        keys.send(Msg::Key(Key { code: KeyCode::Char('a'), ctrl: false, alt: false })).await.unwrap();
        let shown = until_shown(&mut console, &mut terminal, "acknowledged prod/disk1 (stored)").await;
        let acks: Vec<_> = store.timeline(&key).unwrap().into_iter().filter(|e| e.kind == EntryKind::Acked).collect();
        assert_eq!(acks.len(), 1, "{acks:?}");
        assert_eq!(acks[0].actor, "tester");
        assert!(
            shown.lines().any(|l| l.contains("Disk [2Jalmost full") && l.contains("tester")),
            "owner shown:\n{shown}"
        );

        // `q` ends the loop by itself.
        keys.send(Msg::Key(Key { code: KeyCode::Char('q'), ctrl: false, alt: false })).await.unwrap();
        tokio::time::timeout(Duration::from_secs(30), console.run(&mut terminal, std::future::pending()))
            .await
            .expect("q quits")
            .unwrap();
        assert!(console.state.quit);
    }
}
