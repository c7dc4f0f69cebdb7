//! The runner: takes terminal events from an input source (the local tty or an SSH channel),
//! turns keys into actions through the keymap; calls `update()`; performs its effects through
//! the client on tasks that post their answers back as actions; redraws only after something
//! happened (no busy loop: an idle console sleeps in `select!`). The end of input, a
//! terminal error or a signal ends it at once ([`End`]).

use std::time::Duration;

use chrono::Utc;
use std::io::Write;

use crossterm::event::{Event, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Client;

use super::action::Action;
use super::effect::Effect;
use super::floor::Live;
pub use super::input::{End, Input};
use super::keymap::Keymap;
use super::state::State;
use super::terminal::{self, Term};
use super::update::{self, FAQ_LIMIT, LOOKUP_LIMIT};
use super::{TuiError, view};

/// How long to wait before resending a change after a dropped connection.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// How long a call's note must rest before its FAQ suggestions are asked again.
const SUGGEST_AFTER: Duration = Duration::from_millis(400);
/// How long to wait before resubscribing to live events.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(3);

/// Performs effects: one task per request, answers posted back on `tx`. Lookups and FAQ
/// queries keep only the latest request alive (an older one is aborted).
/// Dropping it stops what only serves the screen (the live-event subscription, a lookup or
/// FAQ query); a change already sent is left to finish, so it is committed or not, never half.
pub struct Effects {
    client: Client,
    tx: mpsc::Sender<Action>,
    lookup_job: Option<JoinHandle<()>>,
    faq_job: Option<JoinHandle<()>>,
    suggest_job: Option<JoinHandle<()>>,
    subscription: Option<JoinHandle<()>>,
    /// The frames of the console being watched, forwarded as actions.
    watch_job: Option<JoinHandle<()>>,
    /// Where this console's own frames go, and where it watches others from (SSH door only).
    live: Live,
    /// Texts to put on the clipboard, written by the runner between frames.
    pub copies: Vec<String>,
}

impl Drop for Effects {
    fn drop(&mut self) {
        for job in [
            self.lookup_job.take(),
            self.faq_job.take(),
            self.suggest_job.take(),
            self.subscription.take(),
            self.watch_job.take(),
        ]
        .into_iter()
        .flatten()
        {
            job.abort();
        }
    }
}

impl Effects {
    /// The effect runner for a console; `live` holds the SSH door's tap and watch source
    /// (`Live::default()` for a local console).
    pub fn with_live(client: Client, tx: mpsc::Sender<Action>, live: Live) -> Effects {
        Effects {
            client,
            tx,
            lookup_job: None,
            faq_job: None,
            suggest_job: None,
            subscription: None,
            watch_job: None,
            live,
            copies: Vec::new(),
        }
    }

    /// Publishes this console's state to whoever watches it (nothing when nobody does).
    pub fn publish_frame(&self, state: &State) {
        if let Some(tap) = &self.live.tap
            && tap.watched()
        {
            tap.publish(state);
        }
    }

    /// Forwards the frames of watch `id` as actions until the watched console closes.
    fn open_watch(&mut self, id: u64) {
        if let Some(j) = self.watch_job.take() {
            j.abort();
        }
        let tx = self.tx.clone();
        let Some(source) = self.live.source.clone() else {
            let why =
                "この画面からはモニターできません（SSH で接続した監督者の画面からだけ使えます）".to_string();
            tokio::spawn(async move {
                let _ = tx.send(Action::WatchLost(why)).await;
            });
            return;
        };
        let me = self.client.clone();
        self.watch_job = Some(tokio::spawn(async move {
            let supervisor = me.me().await.map(|m| m.name).unwrap_or_default();
            let mut frames = match source.frames(id, &supervisor) {
                Ok(f) => f,
                Err(why) => {
                    let _ = tx.send(Action::WatchLost(why)).await;
                    return;
                }
            };
            loop {
                let frame = frames.borrow_and_update().clone();
                if let Some(frame) = frame
                    && tx.send(Action::WatchFrame(frame)).await.is_err()
                {
                    return;
                }
                if frames.changed().await.is_err() {
                    let _ = tx.send(Action::WatchLost("モニター中の画面が閉じました（オペレーターの接続が切れました）。フロアに戻ります".into())).await;
                    return;
                }
            }
        }));
    }

    fn spawn<F>(&self, f: impl FnOnce(Client) -> F + Send + 'static) -> JoinHandle<()>
    where
        F: std::future::Future<Output = Action> + Send + 'static,
    {
        let c = self.client.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let a = f(c).await;
            let _ = tx.send(a).await;
        })
    }

    /// Starts one effect.
    pub fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::LoadMe => {
                self.spawn(|c| async move { Action::MeLoaded(c.me().await) });
            }
            Effect::LoadModels => {
                self.spawn(|c| async move { Action::ModelsLoaded(c.reader_models().await) });
            }
            Effect::Subscribe => {
                let c = self.client.clone();
                let tx = self.tx.clone();
                if let Some(old) = self.subscription.replace(tokio::spawn(subscribe(c, tx))) {
                    old.abort();
                }
            }
            Effect::Lookup { seq, query } => {
                if let Some(j) = self.lookup_job.take() {
                    j.abort();
                }
                self.lookup_job = Some(self.spawn(move |c| async move {
                    let reply = c.lookup(&query, LOOKUP_LIMIT).await;
                    Action::LookupDone { seq, reply }
                }));
            }
            Effect::LoadInstitution { code } => {
                self.spawn(|c| async move {
                    let reply = c.institution(&code).await;
                    Action::InstitutionLoaded { code, reply }
                });
            }
            Effect::LoadSubsidy { code } => {
                self.spawn(|c| async move {
                    let reply = c.subsidy(&code).await;
                    Action::SubsidyLoaded { code, reply }
                });
            }
            Effect::LoadAudit { code } => {
                self.spawn(|c| async move {
                    let reply = c.audit(Some(&code)).await;
                    Action::AuditLoaded { code, reply }
                });
            }
            Effect::LoadInstitutionCalls { code } => {
                self.spawn(|c| async move {
                    let reply = c.calls(Some(&code)).await;
                    Action::InstitutionCallsLoaded { code, reply }
                });
            }
            Effect::LoadApplication { code } => {
                self.spawn(|c| async move {
                    let reply = c.reader_application(&code).await;
                    Action::ApplicationLoaded { code, reply }
                });
            }
            Effect::Change { code, if_match, idempotency_key, body } => {
                self.spawn(move |c| async move {
                    let reply = c.change_reader_application(&code, if_match, &idempotency_key, &body).await;
                    Action::ChangeDone { key: idempotency_key, reply }
                });
            }
            Effect::RetryChangeLater => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RETRY_AFTER).await;
                    let _ = tx.send(Action::RetryChange).await;
                });
            }
            Effect::Faq { seq, query } => {
                if let Some(j) = self.faq_job.take() {
                    j.abort();
                }
                self.faq_job = Some(self.spawn(move |c| async move {
                    let reply = c.faq(&query, FAQ_LIMIT).await;
                    Action::FaqDone { seq, reply }
                }));
            }
            Effect::Suggest { seq, code, note } => {
                if let Some(j) = self.suggest_job.take() {
                    j.abort();
                }
                self.suggest_job = Some(self.spawn(move |c| async move {
                    // Debounce: a note being typed sends one request once the typing pauses.
                    tokio::time::sleep(SUGGEST_AFTER).await;
                    let reply = c.faq_suggest(code.as_deref(), &note).await;
                    Action::SuggestDone { seq, reply }
                }));
            }
            Effect::StartCall { code } => {
                self.spawn(|c| async move { Action::CallSaved(c.start_call(code.as_deref()).await) });
            }
            Effect::UpdateCall { id, update } => {
                self.spawn(move |c| async move { Action::CallSaved(c.update_call(id, &update).await) });
            }
            Effect::AttachFaq { call_id, faq_id, copied } => {
                self.spawn(move |c| async move {
                    Action::CallSaved(c.attach_faq(call_id, &faq_id, copied).await)
                });
            }
            Effect::LoadCalls => {
                self.spawn(|c| async move { Action::CallsLoaded(c.calls(None).await) });
            }
            Effect::LoadDashboard => {
                self.spawn(|c| async move { Action::DashboardLoaded(c.dashboard().await) });
            }
            Effect::DeadlineBatch { dry_run } => {
                self.spawn(move |c| async move { Action::BatchDone(c.deadline_batch(dry_run).await) });
            }
            Effect::LoadCallBacks => {
                self.spawn(|c| async move { Action::CallBacksLoaded(c.callbacks(false, None).await) });
            }
            Effect::CreateCallBack { from_dialog, body } => {
                self.spawn(move |c| async move {
                    Action::CallBackCreated { from_dialog, reply: c.create_callback(&body).await }
                });
            }
            Effect::TakeCallBack { id } => {
                self.spawn(move |c| async move { Action::CallBackTaken(c.take_callback(id).await) });
            }
            Effect::CloseCallBack { id, outcome } => {
                self.spawn(
                    move |c| async move { Action::CallBackClosed(c.close_callback(id, outcome).await) },
                );
            }
            Effect::LoadReport { from, to } => {
                self.spawn(move |c| async move {
                    Action::ReportLoaded { from, to, reply: c.call_report(Some(from), Some(to)).await }
                });
            }
            Effect::Campaign(e) => {
                self.spawn(move |c| super::campaign::perform(c, e));
            }
            Effect::Copy(text) => {
                // Written by the runner between frames, so it cannot interleave with drawing.
                self.copies.push(text);
            }
            Effect::LoadMyFloor => {
                self.spawn(|c| async move { Action::MyFloorLoaded(c.my_floor().await) });
            }
            Effect::SetAgentState(to) => {
                self.spawn(move |c| async move { Action::MyFloorLoaded(c.set_agent_state(&to).await) });
            }
            Effect::LoadFloor => {
                self.spawn(|c| async move { Action::FloorLoaded(c.floor().await) });
            }
            Effect::RaiseHand { note } => {
                self.spawn(move |c| async move { Action::HandSaved(c.raise_hand(&note).await) });
            }
            Effect::LowerHand => {
                self.spawn(|c| async move { Action::MyFloorLoaded(c.lower_hand().await) });
            }
            Effect::AcknowledgeHand { id } => {
                self.spawn(move |c| async move { Action::HandSaved(c.acknowledge_hand(id).await) });
            }
            Effect::StartWatch { operator } => {
                self.spawn(move |c| async move { Action::WatchStarted(c.start_watch(&operator).await) });
            }
            Effect::OpenWatch { id } => self.open_watch(id),
            Effect::EndWatch { id } => {
                if let Some(j) = self.watch_job.take() {
                    j.abort();
                }
                let c = self.client.clone();
                tokio::spawn(async move {
                    if let Err(e) = c.end_watch(id).await {
                        tracing::debug!("ending watch {id}: {e}");
                    }
                });
            }
        }
    }
}

/// Keeps a live-event subscription up: events become actions; a drop is reported and
/// retried after a pause.
async fn subscribe(client: Client, tx: mpsc::Sender<Action>) {
    loop {
        if let Ok(mut rx) = client.events().await {
            if tx.send(Action::EventsConnected(true)).await.is_err() {
                return;
            }
            while let Some(ev) = rx.recv().await {
                if tx.send(Action::ServerEvent(ev)).await.is_err() {
                    return;
                }
            }
        }
        if tx.send(Action::EventsConnected(false)).await.is_err() {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

/// Turns a terminal event into an action. Only key *presses* count (Windows terminals also
/// send releases and repeats would double an IME burst).
pub fn event_to_action(keymap: &Keymap, state: &State, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => {
            keymap.resolve(state.context(), state.text_focus(), &k)
        }
        Event::Paste(s) => Some(Action::Paste(s)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// A random prefix for this console's Idempotency-Keys.
pub fn session_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        let t = Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64 ^ u64::from(std::process::id());
        b = t.to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs one console on any terminal until the operator quits or its input ends: the local
/// console (tty, crossterm backend on stdout) and every SSH session (channel bytes, a backend
/// writing to the channel) share this loop, the keymap and the pure `update`/`view`.
/// `input` brings parsed events (see [`super::input::InputParser`]); a resize event also
/// resizes `terminal`. OSC 52 copies are written through the same backend, between frames.
pub async fn run_console<B>(
    client: Client,
    keymap: &Keymap,
    state: State,
    terminal: &mut Terminal<B>,
    input: &mut mpsc::Receiver<Input>,
) -> End
where
    B: Backend + Write,
{
    run_console_with(client, keymap, state, terminal, input, Live::default()).await
}

/// [`run_console`] for a console that can be watched and can watch others (the SSH door's):
/// after every frame its state goes to `live.tap` while someone watches. When it ends, its
/// operator is signed out of the floor (best effort, bounded).
pub async fn run_console_with<B>(
    client: Client,
    keymap: &Keymap,
    state: State,
    terminal: &mut Terminal<B>,
    input: &mut mpsc::Receiver<Input>,
    live: Live,
) -> End
where
    B: Backend + Write,
{
    let sign_out = client.clone();
    let door_signs_out = live.door_signs_out;
    let (end, signed_in) = console_loop(client, keymap, state, terminal, input, live).await;
    if signed_in && !door_signs_out {
        let bye = sign_out.set_agent_state(&crate::api::SetAgentState::SignOut);
        let _ = tokio::time::timeout(SIGN_OUT_WITHIN, bye).await;
    }
    end
}

/// How long a closing console waits for its sign-out from the floor.
const SIGN_OUT_WITHIN: Duration = Duration::from_millis(500);

async fn console_loop<B>(
    client: Client,
    keymap: &Keymap,
    mut state: State,
    terminal: &mut Terminal<B>,
    input: &mut mpsc::Receiver<Input>,
    live: Live,
) -> (End, bool)
where
    B: Backend + Write,
{
    let (tx, mut rx) = mpsc::channel::<Action>(1024);
    let mut effects = Effects::with_live(client, tx, live);
    for e in update::init(&state) {
        effects.perform(e);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        // Every wake-up below changed something to show: draw it.
        if let Err(e) = terminal.draw(|f| view::view(&state, f)) {
            return (End::OutputError(e), state.floor.signed_in);
        }
        for text in effects.copies.drain(..) {
            let b = terminal.backend_mut();
            if let Err(e) = b.write_all(terminal::osc52(&text).as_bytes()).and_then(|_| Write::flush(b)) {
                return (End::OutputError(e), state.floor.signed_in);
            }
        }
        effects.publish_frame(&state);
        let first = tokio::select! {
            inp = input.recv() => match inp {
                Some(Input::Event(ev)) => match on_event(keymap, &state, terminal, ev) {
                    Ok(Some(a)) => a,
                    Ok(None) => continue,
                    Err(e) => return (End::OutputError(e), state.floor.signed_in),
                },
                Some(Input::Redraw) => continue,
                Some(Input::End(end)) => return (end, state.floor.signed_in),
                None => return (End::InputClosed, state.floor.signed_in),
            },
            Some(a) = rx.recv() => a,
            // Only timers need the clock (a call, after-call work, the floor): an idle console
            // does not even wake for it (a floor of 300 idle consoles costs nothing each second).
            _ = tick.tick(), if update::needs_clock(&state) => Action::Tick(Utc::now()),
        };
        update::update(&mut state, Action::Tick(Utc::now()));
        let mut batch = vec![first];
        // Everything already waiting (an IME commit burst, fast typing, several answers)
        // is applied before the next frame: one redraw, latest query wins. The wait is
        // bounded by what is queued: an input source that ends says so with `End`.
        while let Ok(inp) = input.try_recv() {
            let ev = match inp {
                Input::Event(ev) => ev,
                Input::Redraw => continue,
                Input::End(end) => return (end, state.floor.signed_in),
            };
            // Keys resolve against the state as it will be after the earlier ones.
            for a in batch.drain(..) {
                for e in update::update(&mut state, a) {
                    effects.perform(e);
                }
            }
            match on_event(keymap, &state, terminal, ev) {
                Ok(Some(a)) => batch.push(a),
                Ok(None) => {}
                Err(e) => return (End::OutputError(e), state.floor.signed_in),
            }
        }
        while let Ok(a) = rx.try_recv() {
            batch.push(a);
        }
        for a in batch {
            for e in update::update(&mut state, a) {
                effects.perform(e);
            }
        }
        if state.quit {
            return (End::Quit, state.floor.signed_in);
        }
    }
}

/// A terminal event: a resize resizes the terminal (and is also told to `update`); a key
/// resolves through the keymap.
fn on_event<B: Backend>(
    keymap: &Keymap,
    state: &State,
    terminal: &mut Terminal<B>,
    ev: Event,
) -> std::io::Result<Option<Action>> {
    if let Event::Resize(w, h) = ev {
        terminal.resize(Rect::new(0, 0, w, h))?;
    }
    Ok(event_to_action(keymap, state, ev))
}

/// Runs the console on the real terminal until the operator quits, the terminal goes away
/// (end of input, a read error) or SIGTERM/SIGHUP arrives; the terminal is restored in
/// every case. Anything but a quit is an error (the process exits non-zero).
pub async fn run_terminal(client: Client, keymap: Keymap, state: State) -> Result<(), TuiError> {
    let (tx, mut input) = mpsc::channel::<Input>(256);
    let source = terminal::LocalInput::start(tx)?;
    let mut term = Term::enter()?;
    let end = run_console(client, &keymap, state, &mut term.terminal, &mut input).await;
    drop(term);
    drop(source);
    end.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::command::Command;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(code: KeyCode, kind: KeyEventKind) -> Event {
        Event::Key(KeyEvent::new_with_kind(code, KeyModifiers::NONE, kind))
    }

    #[test]
    fn only_key_presses_become_actions() {
        let keymap = Keymap::default_map();
        let state = State::new("embedded", false, true, "t", Utc::now());
        let press = event_to_action(&keymap, &state, key(KeyCode::Char('a'), KeyEventKind::Press));
        assert!(matches!(press, Some(Action::Insert('a'))));
        assert!(event_to_action(&keymap, &state, key(KeyCode::Char('a'), KeyEventKind::Release)).is_none());
        assert!(event_to_action(&keymap, &state, key(KeyCode::Char('a'), KeyEventKind::Repeat)).is_none());
    }

    #[test]
    fn a_paste_is_a_paste_and_enter_is_a_command() {
        let keymap = Keymap::default_map();
        let state = State::new("embedded", false, true, "t", Utc::now());
        let p = event_to_action(&keymap, &state, Event::Paste("矢嶋\n".into()));
        assert!(matches!(p, Some(Action::Paste(s)) if s == "矢嶋\n"));
        let enter = event_to_action(&keymap, &state, key(KeyCode::Enter, KeyEventKind::Press));
        assert!(matches!(enter, Some(Action::Command(Command::Confirm))));
        // F7 in a text field is left to the IME: no action.
        assert!(event_to_action(&keymap, &state, key(KeyCode::F(7), KeyEventKind::Press)).is_none());
    }

    #[test]
    fn session_ids_differ() {
        assert_ne!(session_id(), session_id());
    }
}
