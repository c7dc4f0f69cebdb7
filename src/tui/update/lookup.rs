//! Lookup screen keys and answers: every edit sends the query with a new sequence number;
//! only the answer to the latest one is shown (an older answer never overwrites a newer one).

use crate::api::LookupResponse;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{InstitutionState, Loadable, LookupState, Screen, State, Tab};

/// How many rows a lookup asks for.
pub const LOOKUP_LIMIT: u32 = 50;

/// F2: back to the lookup, query cleared and focused.
pub fn focus(state: &mut State) {
    state.screen = Screen::Lookup;
    state.back_stack.clear();
    state.lookup.clear();
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let l = &mut state.lookup;
    let changed = match action {
        Action::Command(Command::Up) => move_by(l, -1),
        Action::Command(Command::Down) => move_by(l, 1),
        Action::Command(Command::PageUp) => move_by(l, -10),
        Action::Command(Command::PageDown) => move_by(l, 10),
        Action::Command(Command::Confirm) => return open_selected(state),
        Action::Command(Command::Back) => {
            if l.input.value().is_empty() {
                return vec![];
            }
            l.input.clear();
            true
        }
        Action::Command(Command::Refresh) => return rerun(state),
        other => l.edit(&other),
    };
    if changed { rerun(state) } else { vec![] }
}

/// Moves the selection; the query is unchanged.
fn move_by(l: &mut LookupState, delta: isize) -> bool {
    l.move_selection(delta);
    false
}

/// Sends the current query (again) as the newest one.
pub fn rerun(state: &mut State) -> Vec<Effect> {
    match state.lookup.next_query() {
        Some((seq, query)) => vec![Effect::Lookup { seq, query }],
        None => vec![],
    }
}

pub fn done(state: &mut State, seq: u64, reply: Reply<LookupResponse>) -> Vec<Effect> {
    let l = &mut state.lookup;
    // The selected row stays selected when the new answer still has it.
    let keep = l.selected().map(|r| r.code.clone());
    if l.answer(seq, reply.map(|r| (r.query, r.results)).map_err(|e| e.to_string())) {
        l.selected = keep.and_then(|c| l.results.iter().position(|r| r.code == c)).unwrap_or(0);
    }
    vec![]
}

fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(row) = state.lookup.results.get(state.lookup.selected) else { return vec![] };
    let code = row.code.clone();
    open_institution(state, code)
}

/// Opens the institution screen on `code` and loads all its panes.
pub fn open_institution(state: &mut State, code: String) -> Vec<Effect> {
    state.institution = Some(InstitutionState {
        code: code.clone(),
        detail: Loadable::Loading,
        subsidy: Loadable::Loading,
        audit: Loadable::Loading,
        calls: Loadable::Loading,
        tab: Tab::Overview,
        scroll: 0,
        notice: None,
    });
    state.dialog = None;
    super::push_screen(state, Screen::Institution);
    Effect::load_institution(&code)
}
