//! The runner: reads terminal events, signals and answers; turns keys into actions through
//! the keymap; calls `update()`; performs its effects through the client on tasks that post
//! their answers back as actions; redraws only after something happened (no busy loop: an
//! idle console sleeps in `select!`).

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Client;

use super::action::Action;
use super::effect::Effect;
use super::keymap::Keymap;
use super::state::State;
use super::terminal::{self, Term};
use super::update::{self, FAQ_LIMIT, LOOKUP_LIMIT};
use super::{TuiError, view};

/// How long to wait before resending a change after a dropped connection.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// How long to wait before resubscribing to live events.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(3);

/// Performs effects: one task per request, answers posted back on `tx`. Lookups and FAQ
/// queries keep only the latest request alive (an older one is aborted).
pub struct Effects {
    client: Client,
    tx: mpsc::Sender<Action>,
    lookup_job: Option<JoinHandle<()>>,
    faq_job: Option<JoinHandle<()>>,
}

impl Effects {
    pub fn new(client: Client, tx: mpsc::Sender<Action>) -> Effects {
        Effects { client, tx, lookup_job: None, faq_job: None }
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
                tokio::spawn(async move { subscribe(c, tx).await });
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
            Effect::StartCall { code } => {
                self.spawn(|c| async move { Action::CallSaved(c.start_call(code.as_deref()).await) });
            }
            Effect::UpdateCall { id, update } => {
                self.spawn(move |c| async move { Action::CallSaved(c.update_call(id, &update).await) });
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
            Effect::Copy(text) => {
                // Written between frames (the runner is single-threaded), so it cannot
                // interleave with drawing.
                let _ = terminal::copy_to_clipboard(&text);
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

/// Runs the console on the real terminal until the operator quits or a signal arrives.
pub async fn run_terminal(client: Client, keymap: Keymap, mut state: State) -> Result<(), TuiError> {
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut term = Term::enter()?;
    let (tx, mut rx) = mpsc::channel::<Action>(1024);
    let mut effects = Effects::new(client, tx);
    for e in update::init(&state) {
        effects.perform(e);
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    loop {
        if dirty {
            term.terminal.draw(|f| view::view(&state, f))?;
            dirty = false;
        }
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => match event_to_action(&keymap, &state, ev) {
                    Some(a) => a,
                    None => continue,
                },
                Some(Err(e)) => return Err(TuiError::Terminal(e)),
                None => break,
            },
            Some(a) = rx.recv() => a,
            _ = tick.tick() => {
                // Only the call timer needs the clock; an idle console stays asleep.
                if state.calls.current.is_none() { continue }
                Action::Tick(Utc::now())
            },
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        };
        update::update(&mut state, Action::Tick(Utc::now()));
        let mut batch = vec![first];
        // Everything already waiting (an IME commit burst, fast typing, several answers)
        // is applied before the next frame: one redraw, latest query wins.
        while let Some(Some(Ok(ev))) = events.next().now_or_never() {
            // Keys resolve against the state as it will be after the earlier ones.
            for a in batch.drain(..) {
                for e in update::update(&mut state, a) {
                    effects.perform(e);
                }
            }
            if let Some(a) = event_to_action(&keymap, &state, ev) {
                batch.push(a);
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
        dirty = true;
        if state.quit {
            break;
        }
    }
    drop(term);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(matches!(enter, Some(Action::Confirm)));
        // F7 in a text field is left to the IME: no action.
        assert!(event_to_action(&keymap, &state, key(KeyCode::F(7), KeyEventKind::Press)).is_none());
    }

    #[test]
    fn session_ids_differ() {
        assert_ne!(session_id(), session_id());
    }
}
