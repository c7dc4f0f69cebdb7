//! FAQ suggestions during a call: whenever the open call, its institution or its note changes,
//! ask the server again (`Effect::Suggest`, debounced by the runner); show the answer in the
//! message line and, when the FAQ screen's query is empty, as its list (F3 then shows the
//! first suggestion's answer at once; Enter puts it on the call's record as any answer).

use crate::api::{FaqHit, FaqSuggestions};

use super::super::action::Reply;
use super::super::effect::Effect;
use super::super::state::{State, Suggestions};

/// After every update: a new request when what the suggestions depend on changed; nothing
/// when no call is open (and the old suggestions go).
pub fn follow(state: &mut State) -> Vec<Effect> {
    let Some(call) = &state.calls.current else {
        if state.suggestions.asked.is_some() || state.suggestions.latest.is_some() {
            let seq = state.suggestions.seq + 1;
            state.suggestions = Suggestions { seq, ..Suggestions::default() };
            if state.faq.suggested.is_some() {
                state.faq.suggested = None;
                state.faq.results.clear();
            }
        }
        return vec![];
    };
    let key = (call.id, call.code.clone(), state.calls.note.value().trim().to_string());
    if state.suggestions.asked.as_ref() == Some(&key) {
        return vec![];
    }
    let s = &mut state.suggestions;
    s.seq += 1;
    let (_, code, note) = key.clone();
    s.asked = Some(key);
    vec![Effect::Suggest { seq: s.seq, code, note }]
}

/// The server's suggestions: kept if they answer the latest request (a failure keeps the
/// previous ones: suggestions are a help, never an error to show during a call).
pub fn done(state: &mut State, seq: u64, reply: Reply<FaqSuggestions>) -> Vec<Effect> {
    if seq != state.suggestions.seq {
        return vec![];
    }
    if let Ok(s) = reply {
        state.suggestions.latest = Some(s);
        show_in_faq(state);
    }
    vec![]
}

/// Lists the suggestions on the FAQ screen when its query is empty (first one selected).
pub fn show_in_faq(state: &mut State) {
    let Some(latest) = &state.suggestions.latest else { return };
    let f = &mut state.faq;
    if !f.input.value().trim().is_empty() || f.loading {
        return;
    }
    let hits: Vec<FaqHit> = latest.results.clone();
    let same =
        f.suggested.is_some() && f.results.iter().map(|h| &h.entry.id).eq(hits.iter().map(|h| &h.entry.id));
    if same {
        return;
    }
    f.suggested = if hits.is_empty() { None } else { Some(latest.confident) };
    f.results = hits;
    f.shown_query = String::new();
    f.selected = 0;
    f.answer_scroll = 0;
    f.error = None;
}
