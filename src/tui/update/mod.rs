//! `update(&mut State, Action) -> Vec<Effect>`: the console's only state transition. Pure:
//! no await, no I/O, no clock. Global keys and server answers are handled here; each
//! screen's keys in its own module.

mod callbacks;
mod calls;
pub(crate) mod campaign;
mod dashboard;
pub(crate) mod dialog;
mod faq;
pub(crate) mod floor;
pub use faq::FAQ_LIMIT;
pub use lookup::LOOKUP_LIMIT;
mod institution;
mod lookup;
mod suggest;

use crate::api::ServerEvent;

use super::action::{Action, Command};
use super::effect::Effect;
use super::keymap::Context;
use super::state::{DialogStage, Level, Screen, State};

/// The effects to run when the console starts.
pub fn init(_state: &State) -> Vec<Effect> {
    vec![
        Effect::LoadMe,
        Effect::LoadModels,
        Effect::Subscribe,
        Effect::LoadCalls,
        Effect::SetAgentState(crate::api::SetAgentState::SignIn),
    ]
}

/// Whether what is shown counts time (a call's timer, after-call work or an absence in the
/// status bar, the floor's times in state): the runner ticks only then.
pub fn needs_clock(state: &State) -> bool {
    use crate::domain::floor::AgentState;
    let my_state = state.floor.mine.as_ref().and_then(|m| m.status.as_ref()).map(|s| s.state);
    state.calls.current.is_some()
        || matches!(my_state, Some(AgentState::AfterCall | AgentState::Away | AgentState::OnCall))
        || (state.screen == Screen::Dashboard && state.dashboard.tab == super::state::DashboardTab::Floor)
}

/// Applies one action; returns the I/O to perform.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut effects = dispatch(state, action);
    effects.extend(suggest::follow(state));
    effects
}

/// Applies one action to the screen or workflow it concerns.
fn dispatch(state: &mut State, action: Action) -> Vec<Effect> {
    if state.confirm_quit {
        match action {
            Action::Command(Command::Quit) | Action::Command(Command::Confirm) => {
                state.quit = true;
                return vec![];
            }
            Action::Command(Command::Back) => {
                state.confirm_quit = false;
                return vec![];
            }
            Action::Command(_) => return vec![],
            _ => {}
        }
    }
    // While watching, the supervisor's keys act on the watch only (Esc leaves).
    if state.screen == Screen::Watch
        && matches!(action, Action::Command(_) | Action::Insert(_) | Action::Paste(_) | Action::Edit(_))
    {
        return floor::watch_key(state, action);
    }
    if state.campaign.popup_open()
        && matches!(action, Action::Command(_) | Action::Insert(_) | Action::Paste(_) | Action::Edit(_))
        && !matches!(action, Action::Command(Command::Quit))
    {
        return campaign::popup_key(state, action);
    }
    if let Some(out) = campaign::global(state, &action) {
        return out;
    }
    if state.floor.popup_open()
        && matches!(action, Action::Command(_) | Action::Insert(_) | Action::Paste(_) | Action::Edit(_))
        && !matches!(action, Action::Command(Command::Quit))
    {
        return floor::popup_key(state, action);
    }
    match action {
        Action::Command(Command::Available) => floor::available(state),
        Action::Command(Command::Away) => floor::open_picker(state),
        Action::Command(Command::RaiseHand) => floor::raise_hand_key(state),
        Action::MyFloorLoaded(reply) => floor::mine_loaded(state, reply),
        Action::FloorLoaded(reply) => floor::floor_loaded(state, reply),
        Action::HandSaved(reply) => floor::hand_saved(state, reply),
        Action::WatchStarted(reply) => floor::watch_started(state, reply),
        Action::WatchFrame(frame) => floor::watch_frame(state, frame),
        Action::WatchLost(why) => floor::watch_lost(state, why),
        Action::Command(Command::Help) => {
            push_screen(state, Screen::Help);
            vec![]
        }
        Action::Command(Command::Lookup) => {
            lookup::focus(state);
            vec![]
        }
        Action::Command(Command::Faq) => {
            push_screen(state, Screen::Faq);
            suggest::show_in_faq(state);
            vec![]
        }
        Action::Command(Command::Calls) => {
            push_screen(state, Screen::Calls);
            vec![Effect::LoadCalls]
        }
        Action::Command(Command::Dashboard) => dashboard::open(state),
        Action::Command(Command::Quit) => {
            let dialog_open =
                state.dialog.as_ref().is_some_and(|d| !matches!(d.stage, DialogStage::Receipt(_)));
            if dialog_open || state.calls.current.is_some() {
                state.confirm_quit = true;
            } else {
                state.quit = true;
            }
            vec![]
        }
        Action::Command(Command::StartCall) => calls::start(state),
        Action::Command(Command::AttachCall) => calls::attach(state),
        Action::Command(Command::CloseCall) => calls::close(state),
        Action::Command(Command::NewCallBack) => callbacks::open_form(state),
        Action::Command(Command::CloseCallBack) => callbacks::close(state),
        Action::Tick(now) => {
            state.now = now + state.clock_offset;
            vec![]
        }
        Action::Resize(..) => vec![],
        Action::MeLoaded(reply) => {
            if let Err(e) = &reply {
                state.message = Some((Level::Error, e.to_string()));
            }
            if let Ok(server_now) = reply.as_ref().map(|me| me.server_now) {
                let local_now = state.now - state.clock_offset;
                state.clock_offset = server_now.map_or(chrono::TimeDelta::zero(), |t| t - local_now);
                state.now = local_now + state.clock_offset;
            }
            state.me = super::state::Loadable::from_reply(reply);
            vec![]
        }
        Action::ModelsLoaded(reply) => {
            state.models = super::state::Loadable::from_reply(reply);
            dialog::models_arrived(state);
            vec![]
        }
        Action::EventsConnected(up) => {
            state.connected = up;
            vec![]
        }
        Action::ServerEvent(ev) => server_event(state, ev),
        Action::LookupDone { seq, reply } => lookup::done(state, seq, reply),
        Action::InstitutionLoaded { .. }
        | Action::SubsidyLoaded { .. }
        | Action::AuditLoaded { .. }
        | Action::InstitutionCallsLoaded { .. } => institution::loaded(state, action),
        Action::ApplicationLoaded { code, reply } => dialog::application_loaded(state, &code, reply),
        Action::ChangeDone { key, reply } => dialog::change_done(state, &key, reply),
        Action::RetryChange => dialog::retry(state),
        Action::FaqDone { seq, reply } => faq::done(state, seq, reply),
        Action::SuggestDone { seq, reply } => suggest::done(state, seq, reply),
        Action::CallSaved(reply) => calls::saved(state, reply),
        Action::CallsLoaded(reply) => calls::loaded(state, reply),
        Action::DashboardLoaded(reply) => {
            state.dashboard.data = super::state::Loadable::from_reply(reply);
            vec![]
        }
        Action::BatchDone(reply) => dashboard::batch_done(state, reply),
        Action::CallBacksLoaded(reply) => callbacks::loaded(state, reply),
        Action::CallBackCreated { from_dialog, reply } => callbacks::created(state, from_dialog, reply),
        Action::CallBackTaken(reply) => callbacks::taken(state, reply),
        Action::CallBackClosed(reply) => callbacks::closed(state, reply),
        Action::ReportLoaded { from, to, reply } => dashboard::report_loaded(state, from, to, reply),
        other => match state.context() {
            Context::Lookup => lookup::key(state, other),
            Context::Institution => institution::key(state, other),
            Context::Dialog => dialog::key(state, other),
            Context::Faq => faq::key(state, other),
            Context::Calls => calls::key(state, other),
            Context::Dashboard => dashboard::key(state, other),
            Context::Help | Context::Global => help_key(state, other),
        },
    }
}

fn help_key(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Command(Command::Up) => state.help_scroll = state.help_scroll.saturating_sub(1),
        Action::Command(Command::Down) => state.help_scroll = state.help_scroll.saturating_add(1),
        Action::Command(Command::PageUp) => state.help_scroll = state.help_scroll.saturating_sub(10),
        Action::Command(Command::PageDown) => state.help_scroll = state.help_scroll.saturating_add(10),
        Action::Command(Command::Back) | Action::Command(Command::Confirm) => pop_screen(state),
        _ => {}
    }
    vec![]
}

/// Shows `screen`, remembering where to go back to.
pub(crate) fn push_screen(state: &mut State, screen: Screen) {
    if state.screen == screen {
        return;
    }
    state.back_stack.retain(|s| *s != screen);
    state.back_stack.push(state.screen);
    state.screen = screen;
}

/// Goes back to the previous screen (the lookup at the bottom).
pub(crate) fn pop_screen(state: &mut State) {
    state.screen = state.back_stack.pop().unwrap_or(Screen::Lookup);
}

/// A fresh Idempotency-Key: unique per console session and change.
pub(crate) fn new_key(state: &mut State) -> String {
    state.next_key += 1;
    format!("{}-{}", state.session_id, state.next_key)
}

fn server_event(state: &mut State, ev: ServerEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    match ev {
        ServerEvent::ApplicationChanged { code, version, operator, receipt_no } => {
            fx.extend(institution::changed_elsewhere(
                state,
                &code,
                version,
                &operator,
                receipt_no.as_deref(),
            ));
            if state.screen == Screen::Dashboard {
                fx.push(Effect::LoadDashboard);
            }
            if state.lookup.results.iter().any(|r| r.code == code) {
                fx.extend(lookup::rerun(state));
            }
        }
        ServerEvent::InstitutionsChanged => fx.extend(lookup::rerun(state)),
        ServerEvent::FaqChanged => fx.extend(faq::rerun(state)),
        ServerEvent::ScreenPop(pop) => fx.extend(calls::screen_pop(state, pop)),
        ev @ (ServerEvent::AgentState { .. } | ServerEvent::Hand { .. } | ServerEvent::Watch { .. }) => {
            fx.extend(floor::server_event(state, ev))
        }
    }
    fx
}

#[cfg(test)]
mod callback_tests;
#[cfg(test)]
mod tests;
