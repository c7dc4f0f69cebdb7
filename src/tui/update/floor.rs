//! The floor: the operator's own state keys (受付可, 離席 with a reason), raising a hand with a
//! note, the supervisors' floor tab (acknowledge a hand, watch a console), the watch screen, and
//! the floor's live events. The server decides every rule (a 409 is shown in its words).

use std::sync::Arc;

use crate::api::{Floor, FloorAgent, FloorTotals, MyFloor, ServerEvent, SetAgentState, WatchStarted};
use crate::domain::floor::HandRaise;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::field::TextField;
use super::super::floor::{Picker, WatchView};
use super::super::state::{DashboardTab, Level, Loadable, Screen, State};

/// Entries of the state picker: 受付可, then the policy's away reasons (id, label).
pub fn picker_entries(state: &State) -> Vec<(Option<String>, String)> {
    let mut v = vec![(None, "受付可".to_string())];
    if let Some(mine) = &state.floor.mine {
        v.extend(mine.away_reasons.iter().map(|r| (Some(r.id.clone()), r.label.clone())));
    }
    v
}

/// The away key: opens the state picker.
pub fn open_picker(state: &mut State) -> Vec<Effect> {
    state.floor.hand_note = None;
    state.floor.picker = Some(Picker::default());
    if state.floor.mine.is_none() { vec![Effect::LoadMyFloor] } else { vec![] }
}

/// The available key: 受付可 now.
pub fn available(state: &mut State) -> Vec<Effect> {
    state.floor.picker = None;
    vec![Effect::SetAgentState(SetAgentState::Available)]
}

/// The raise-hand key: opens the note (the current note when a hand is up); pressed again in
/// the note, lowers the hand.
pub fn raise_hand_key(state: &mut State) -> Vec<Effect> {
    if state.floor.hand_note.is_some() {
        state.floor.hand_note = None;
        return if open_hand(state).is_some() { vec![Effect::LowerHand] } else { vec![] };
    }
    state.floor.picker = None;
    let note = open_hand(state).map(|h| h.note.clone()).unwrap_or_default();
    state.floor.hand_note = Some(TextField::new(&note));
    vec![]
}

/// The operator's hand still waiting for a supervisor.
pub fn open_hand(state: &State) -> Option<&HandRaise> {
    state.floor.mine.as_ref()?.hand.as_ref().filter(|h| h.acknowledged_at.is_none())
}

/// Keys of an open popup (the picker or the note).
pub fn popup_key(state: &mut State, action: Action) -> Vec<Effect> {
    if let Some(note) = state.floor.hand_note.as_mut() {
        match action {
            Action::Insert(c) => {
                note.insert(c);
            }
            Action::Paste(s) => {
                note.paste(&s);
            }
            Action::Edit(k) => {
                note.edit(k);
            }
            Action::Command(Command::Confirm) => {
                let note = note.value().trim().to_string();
                state.floor.hand_note = None;
                return vec![Effect::RaiseHand { note }];
            }
            Action::Command(Command::Back) => state.floor.hand_note = None,
            Action::Command(Command::RaiseHand) => return raise_hand_key(state),
            _ => {}
        }
        return vec![];
    }
    let n = picker_entries(state).len();
    let Some(p) = state.floor.picker.as_mut() else { return vec![] };
    let chosen = match action {
        Action::Command(Command::Up) => {
            p.selected = (p.selected + n - 1) % n.max(1);
            None
        }
        Action::Command(Command::Down) | Action::Command(Command::Next) => {
            p.selected = (p.selected + 1) % n.max(1);
            None
        }
        Action::Command(Command::Confirm) => Some(p.selected),
        Action::Insert(c) => c.to_digit(10).filter(|d| (1..=n as u32).contains(d)).map(|d| d as usize - 1),
        Action::Command(Command::Back) | Action::Command(Command::Away) => {
            state.floor.picker = None;
            None
        }
        _ => None,
    };
    let Some(i) = chosen else { return vec![] };
    state.floor.picker = None;
    match picker_entries(state).into_iter().nth(i) {
        Some((None, _)) => vec![Effect::SetAgentState(SetAgentState::Available)],
        Some((Some(reason), _)) => vec![Effect::SetAgentState(SetAgentState::Away { reason })],
        None => vec![],
    }
}

/// The operator's own state arrived (after a change, or at start).
pub fn mine_loaded(state: &mut State, reply: Reply<MyFloor>) -> Vec<Effect> {
    match reply {
        Ok(mine) => {
            state.floor.signed_in = mine.status.is_some();
            state.floor.mine = Some(mine);
        }
        Err(e) => state.message = Some((Level::Warn, e.to_string())),
    }
    vec![]
}

/// A raised, lowered or acknowledged hand came back.
pub fn hand_saved(state: &mut State, reply: Reply<HandRaise>) -> Vec<Effect> {
    match reply {
        Ok(hand) => {
            let me = state.me.get().map(|m| m.name.clone());
            if me.as_deref() == Some(hand.operator.as_str()) {
                state.message = Some((Level::Info, hand_message(&hand)));
            }
            vec![Effect::LoadMyFloor]
        }
        Err(e) => {
            state.message = Some((Level::Error, e.to_string()));
            vec![]
        }
    }
}

fn hand_message(hand: &HandRaise) -> String {
    match &hand.acknowledged_by {
        Some(by) => format!("挙手を{by}さんが確認しました"),
        None if hand.note.is_empty() => "挙手しました。監督者に通知しています".to_string(),
        None => format!("挙手しました（{}）。監督者に通知しています", hand.note),
    }
}

/// The floor tab: move, acknowledge a hand or watch an operator (Enter), reload.
pub fn tab_key(state: &mut State, action: Action) -> Vec<Effect> {
    let n = state.floor.rows();
    let f = &mut state.floor;
    match action {
        Action::Command(Command::Up) => f.selected = f.selected.saturating_sub(1),
        Action::Command(Command::Down) => f.selected = (f.selected + 1).min(n.saturating_sub(1)),
        Action::Command(Command::PageUp) => f.selected = f.selected.saturating_sub(10),
        Action::Command(Command::PageDown) => f.selected = (f.selected + 10).min(n.saturating_sub(1)),
        Action::Command(Command::Refresh) => return vec![Effect::LoadFloor],
        Action::Command(Command::Confirm) => return enter(state),
        Action::Command(Command::Back) => super::pop_screen(state),
        _ => {}
    }
    vec![]
}

/// Enter on a row: a hand is acknowledged; an operator's console is watched.
fn enter(state: &mut State) -> Vec<Effect> {
    let Some(floor) = state.floor.view.get() else { return vec![] };
    let i = state.floor.selected;
    if let Some(hand) = floor.hands.get(i) {
        return vec![Effect::AcknowledgeHand { id: hand.id }];
    }
    let Some(agent) = floor.agents.get(i - floor.hands.len()) else { return vec![] };
    if !agent.console_here {
        state.message = Some((
            Level::Warn,
            format!(
                "{} さんの画面はこのサーバーが描いていないため、モニターできません（踏み台サーバーの端末など）",
                agent.operator
            ),
        ));
        return vec![];
    }
    let operator = agent.operator.clone();
    state.floor.watch = Some(WatchView { operator: operator.clone(), id: None, frame: None });
    super::push_screen(state, Screen::Watch);
    vec![Effect::StartWatch { operator }]
}

/// The floor view arrived.
pub fn floor_loaded(state: &mut State, reply: Reply<Floor>) -> Vec<Effect> {
    state.floor.view = Loadable::from_reply(reply);
    let n = state.floor.rows();
    state.floor.selected = state.floor.selected.min(n.saturating_sub(1));
    vec![]
}

/// The server registered the watch: its frames are asked for.
pub fn watch_started(state: &mut State, reply: Reply<WatchStarted>) -> Vec<Effect> {
    match (reply, state.floor.watch.as_mut()) {
        (Ok(w), Some(view)) if view.operator == w.operator && view.id.is_none() => {
            view.id = Some(w.id);
            vec![Effect::OpenWatch { id: w.id }]
        }
        // Left before the server answered: end what it began.
        (Ok(w), _) => vec![Effect::EndWatch { id: w.id }],
        (Err(e), _) => {
            leave_watch(state);
            state.message = Some((Level::Error, e.to_string()));
            vec![]
        }
    }
}

/// A new frame of the watched console, drawn with this console's display settings.
pub fn watch_frame(state: &mut State, mut frame: Arc<State>) -> Vec<Effect> {
    let (ascii, color) = (state.ascii, state.color);
    if let Some(view) = state.floor.watch.as_mut() {
        if frame.ascii != ascii || frame.color != color {
            let f = Arc::make_mut(&mut frame);
            f.ascii = ascii;
            f.color = color;
        }
        view.frame = Some(frame);
    }
    vec![]
}

/// The watched console is gone (the operator disconnected) or could not be opened.
pub fn watch_lost(state: &mut State, why: String) -> Vec<Effect> {
    let id = state.floor.watch.as_ref().and_then(|w| w.id);
    if state.floor.watch.is_none() {
        return vec![];
    }
    leave_watch(state);
    state.message = Some((Level::Warn, why));
    id.map(|id| vec![Effect::EndWatch { id }, Effect::LoadFloor]).unwrap_or_default()
}

/// Keys while watching: the supervisor's keys go nowhere but here; Esc (or quit) leaves.
pub fn watch_key(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Command(Command::Back) | Action::Command(Command::Quit) => {
            let id = state.floor.watch.as_ref().and_then(|w| w.id);
            leave_watch(state);
            let mut fx = vec![Effect::LoadFloor];
            fx.extend(id.map(|id| Effect::EndWatch { id }));
            fx
        }
        _ => vec![],
    }
}

/// Back to the floor tab.
fn leave_watch(state: &mut State) {
    state.floor.watch = None;
    if state.screen == Screen::Watch {
        super::pop_screen(state);
    }
    if state.screen != Screen::Dashboard {
        super::push_screen(state, Screen::Dashboard);
    }
    state.dashboard.tab = DashboardTab::Floor;
}

/// The floor's live events: the operator's own state, hand and watcher; a supervisor's floor
/// view patched in place (a newcomer reloads it, for whether its console is drawn here).
pub fn server_event(state: &mut State, ev: ServerEvent) -> Vec<Effect> {
    let me = state.me.get().map(|m| m.name.clone()).unwrap_or_default();
    let mut fx = Vec::new();
    match ev {
        ServerEvent::AgentState { operator, agent } => {
            if operator == me
                && let Some(mine) = state.floor.mine.as_mut()
            {
                mine.status = agent.as_ref().map(|a| a.status.clone());
            }
            if let Some(floor) = floor_mut(state) {
                let pos = floor.agents.iter().position(|a| a.operator == operator);
                match (pos, agent) {
                    (Some(i), Some(mut a)) => {
                        let old = &floor.agents[i];
                        a.console_here = old.console_here;
                        a.watched_by = old.watched_by.clone();
                        floor.agents[i] = a;
                    }
                    (Some(i), None) => {
                        floor.agents.remove(i);
                    }
                    (None, Some(_)) => fx.push(Effect::LoadFloor),
                    (None, None) => {}
                }
                floor.totals = FloorTotals::of(&floor.agents);
            }
        }
        ServerEvent::Hand { hand, open } => {
            if hand.operator == me
                && let Some(mine) = state.floor.mine.as_mut()
            {
                if let Some(by) = &hand.acknowledged_by
                    && mine.hand.as_ref().is_some_and(|h| h.id == hand.id && h.acknowledged_by.is_none())
                {
                    state.message = Some((Level::Info, format!("挙手を{by}さんが確認しました")));
                }
                mine.hand = (open || hand.acknowledged_at.is_some()).then_some(hand.clone());
            }
            if let Some(floor) = floor_mut(state) {
                floor.hands.retain(|h| h.id != hand.id);
                if open {
                    floor.hands.push(hand);
                    floor.hands.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then(a.id.cmp(&b.id)));
                }
            }
        }
        ServerEvent::Watch { operator, supervisor, watching } => {
            if operator == me
                && let Some(mine) = state.floor.mine.as_mut()
            {
                mine.watched_by = watching.then(|| supervisor.clone());
            }
            if let Some(floor) = floor_mut(state)
                && let Some(a) = floor.agents.iter_mut().find(|a| a.operator == operator)
            {
                a.watched_by = watching.then_some(supervisor);
            }
        }
        _ => {}
    }
    let n = state.floor.rows();
    state.floor.selected = state.floor.selected.min(n.saturating_sub(1));
    fx
}

fn floor_mut(state: &mut State) -> Option<&mut Floor> {
    match &mut state.floor.view {
        Loadable::Loaded(f) => Some(f),
        _ => None,
    }
}

/// Whether an operator stands out at the console's `now`, by the domain's rule with the limits
/// the server sent with the floor.
pub fn attention_at(
    a: &FloorAgent,
    now: chrono::DateTime<chrono::Utc>,
    floor: &Floor,
) -> Option<crate::domain::floor::Attention> {
    let policy = crate::domain::floor::FloorPolicy {
        long_call_minutes: floor.long_call_minutes,
        after_call_limit_seconds: floor.after_call_limit_seconds,
        ..Default::default()
    };
    crate::domain::floor::attention(&a.status, now, &policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::floor::{AgentState, AgentStatus};
    use crate::tui::update::update;
    use chrono::{TimeZone, Utc};

    fn t(m: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 7, 9, 1, m, 0).unwrap()
    }

    fn agent(op: &str, state: AgentState) -> FloorAgent {
        FloorAgent {
            operator: op.into(),
            status: AgentStatus { state, reason: None, since: t(0), call_id: None, signed_in_at: t(0) },
            call: None,
            attention: None,
            console_here: true,
            watched_by: None,
        }
    }

    fn floor(agents: Vec<FloorAgent>) -> Floor {
        Floor {
            now: t(5),
            totals: FloorTotals::of(&agents),
            longest_call_seconds: None,
            hands: vec![],
            agents,
            long_call_minutes: 15,
            after_call_limit_seconds: 120,
            away_reasons: crate::domain::floor::FloorPolicy::default().away_reason,
        }
    }

    fn state() -> State {
        let mut s = State::new("t", false, true, "s", t(5));
        s.floor.mine = Some(MyFloor {
            status: None,
            hand: None,
            watched_by: None,
            away_reasons: crate::domain::floor::FloorPolicy::default().away_reason,
            after_call_max_seconds: 300,
        });
        s
    }

    #[test]
    fn the_picker_sets_away_with_a_reason_or_available() {
        let mut s = state();
        open_picker(&mut s);
        let fx = popup_key(&mut s, Action::Insert('2'));
        assert!(
            matches!(&fx[..], [Effect::SetAgentState(SetAgentState::Away { reason })] if reason == "break")
        );
        assert!(s.floor.picker.is_none());
        open_picker(&mut s);
        let fx = popup_key(&mut s, Action::Command(Command::Confirm));
        assert!(matches!(&fx[..], [Effect::SetAgentState(SetAgentState::Available)]));
    }

    #[test]
    fn a_hand_is_raised_with_its_note_and_lowered_by_the_key_again() {
        let mut s = state();
        raise_hand_key(&mut s);
        for c in "補助金".chars() {
            popup_key(&mut s, Action::Insert(c));
        }
        let fx = popup_key(&mut s, Action::Command(Command::Confirm));
        assert!(matches!(&fx[..], [Effect::RaiseHand { note }] if note == "補助金"));
        s.floor.mine.as_mut().unwrap().hand = Some(HandRaise {
            id: 1,
            operator: "a".into(),
            note: "補助金".into(),
            raised_at: t(1),
            acknowledged_by: None,
            acknowledged_at: None,
        });
        raise_hand_key(&mut s);
        assert_eq!(s.floor.hand_note.as_ref().unwrap().value(), "補助金");
        assert!(matches!(&raise_hand_key(&mut s)[..], [Effect::LowerHand]));
    }

    #[test]
    fn state_events_patch_the_floor_in_place() {
        let mut s = state();
        s.floor.view = Loadable::Loaded(floor(vec![agent("a", AgentState::Available)]));
        let mut on = agent("a", AgentState::OnCall);
        on.console_here = false;
        let fx = update(
            &mut s,
            Action::ServerEvent(ServerEvent::AgentState { operator: "a".into(), agent: Some(on) }),
        );
        assert!(fx.is_empty());
        let f = s.floor.view.get().unwrap();
        assert_eq!(f.agents[0].status.state, AgentState::OnCall);
        assert!(f.agents[0].console_here, "kept from the floor view");
        assert_eq!(f.totals.on_call, 1);
        let fx = update(
            &mut s,
            Action::ServerEvent(ServerEvent::AgentState {
                operator: "b".into(),
                agent: Some(agent("b", AgentState::Available)),
            }),
        );
        assert!(matches!(&fx[..], [Effect::LoadFloor]));
        update(&mut s, Action::ServerEvent(ServerEvent::AgentState { operator: "a".into(), agent: None }));
        assert!(s.floor.view.get().unwrap().agents.is_empty());
    }

    #[test]
    fn enter_watches_an_operator_and_esc_ends_the_watch() {
        let mut s = state();
        s.screen = Screen::Dashboard;
        s.dashboard.tab = DashboardTab::Floor;
        s.floor.view = Loadable::Loaded(floor(vec![agent("a", AgentState::OnCall)]));
        let fx = update(&mut s, Action::Command(Command::Confirm));
        assert!(matches!(&fx[..], [Effect::StartWatch { operator }] if operator == "a"));
        assert_eq!(s.screen, Screen::Watch);
        let fx = watch_started(
            &mut s,
            Ok(WatchStarted { id: 9, operator: "a".into(), supervisor: "sv".into(), from: t(5) }),
        );
        assert!(matches!(&fx[..], [Effect::OpenWatch { id: 9 }]));
        // Typing while watching does nothing at all.
        assert!(update(&mut s, Action::Insert('x')).is_empty());
        assert!(update(&mut s, Action::Command(Command::StartCall)).is_empty());
        let fx = update(&mut s, Action::Command(Command::Back));
        assert!(fx.iter().any(|e| matches!(e, Effect::EndWatch { id: 9 })));
        assert_eq!((s.screen, s.dashboard.tab), (Screen::Dashboard, DashboardTab::Floor));
    }

    #[test]
    fn a_console_not_drawn_here_is_said_so() {
        let mut s = state();
        s.screen = Screen::Dashboard;
        s.dashboard.tab = DashboardTab::Floor;
        let mut a = agent("a", AgentState::OnCall);
        a.console_here = false;
        s.floor.view = Loadable::Loaded(floor(vec![a]));
        assert!(update(&mut s, Action::Command(Command::Confirm)).is_empty());
        assert!(s.message.as_ref().unwrap().1.contains("描いていない"));
        assert_eq!(s.screen, Screen::Dashboard);
    }

    #[test]
    fn a_lost_watch_returns_to_the_floor_and_says_why() {
        let mut s = state();
        s.screen = Screen::Dashboard;
        s.dashboard.tab = DashboardTab::Floor;
        s.floor.view = Loadable::Loaded(floor(vec![agent("a", AgentState::OnCall)]));
        update(&mut s, Action::Command(Command::Confirm));
        watch_started(
            &mut s,
            Ok(WatchStarted { id: 3, operator: "a".into(), supervisor: "sv".into(), from: t(5) }),
        );
        let fx = update(&mut s, Action::WatchLost("a さんの接続が切れました".into()));
        assert!(fx.iter().any(|e| matches!(e, Effect::EndWatch { id: 3 })));
        assert_eq!(s.screen, Screen::Dashboard);
        assert!(s.message.as_ref().unwrap().1.contains("接続が切れました"));
    }
}
