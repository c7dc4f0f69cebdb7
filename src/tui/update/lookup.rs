//! Lookup screen keys and answers: every edit sends the query with a new sequence number;
//! only the answer to the latest one is shown (an older answer never overwrites a newer one).

use crate::api::LookupResponse;

use super::super::action::{Action, Reply};
use super::super::effect::Effect;
use super::super::state::{InstitutionState, Loadable, Screen, State, Tab};

/// How many rows a lookup asks for.
pub const LOOKUP_LIMIT: u32 = 50;

/// F2: back to the lookup, query cleared and focused.
pub fn focus(state: &mut State) {
    state.screen = Screen::Lookup;
    state.back_stack.clear();
    state.lookup.input.clear();
    state.lookup.results.clear();
    state.lookup.shown_query.clear();
    state.lookup.selected = 0;
    state.lookup.error = None;
    state.lookup.loading = false;
    state.lookup.seq += 1;
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let l = &mut state.lookup;
    let changed = match action {
        Action::Insert(c) => l.input.insert(c),
        Action::Paste(s) => l.input.paste(&s),
        Action::Edit(k) => l.input.edit(k),
        Action::Up => {
            l.selected = l.selected.saturating_sub(1);
            false
        }
        Action::Down => {
            l.selected = (l.selected + 1).min(l.results.len().saturating_sub(1));
            false
        }
        Action::PageUp => {
            l.selected = l.selected.saturating_sub(10);
            false
        }
        Action::PageDown => {
            l.selected = (l.selected + 10).min(l.results.len().saturating_sub(1));
            false
        }
        Action::Confirm => return open_selected(state),
        Action::Back => {
            if l.input.value().is_empty() {
                return vec![];
            }
            l.input.clear();
            true
        }
        Action::Refresh => return rerun(state),
        _ => false,
    };
    if changed { rerun(state) } else { vec![] }
}

/// Sends the current query (again) as the newest one.
pub fn rerun(state: &mut State) -> Vec<Effect> {
    let l = &mut state.lookup;
    l.seq += 1;
    let query = l.input.value().trim().to_string();
    if query.is_empty() {
        l.results.clear();
        l.shown_query.clear();
        l.loading = false;
        l.error = None;
        l.selected = 0;
        return vec![];
    }
    l.loading = true;
    vec![Effect::Lookup { seq: l.seq, query }]
}

pub fn done(state: &mut State, seq: u64, reply: Reply<LookupResponse>) -> Vec<Effect> {
    let l = &mut state.lookup;
    if seq != l.seq {
        return vec![];
    }
    l.loading = false;
    match reply {
        Ok(r) => {
            let keep = l.results.get(l.selected).map(|r| r.code.clone());
            l.shown_query = r.query;
            l.results = r.results;
            l.selected = keep.and_then(|c| l.results.iter().position(|r| r.code == c)).unwrap_or(0);
            l.error = None;
        }
        Err(e) => l.error = Some(e.to_string()),
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
    vec![
        Effect::LoadInstitution { code: code.clone() },
        Effect::LoadSubsidy { code: code.clone() },
        Effect::LoadAudit { code: code.clone() },
        Effect::LoadInstitutionCalls { code },
    ]
}
