//! FAQ screen (F3): the query (latest answer wins, as in the lookup), the ranked questions,
//! the selected answer's scroll, and copying the answer.

use crate::api::FaqResponse;

use super::super::action::{Action, Reply};
use super::super::effect::Effect;
use super::super::state::{Level, State};

/// How many answers the FAQ asks for.
pub const FAQ_LIMIT: u32 = 20;

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let f = &mut state.faq;
    let changed = match action {
        Action::Insert(c) => f.input.insert(c),
        Action::Paste(s) => f.input.paste(&s),
        Action::Edit(k) => f.input.edit(k),
        Action::Up => {
            f.selected = f.selected.saturating_sub(1);
            f.answer_scroll = 0;
            false
        }
        Action::Down => {
            f.selected = (f.selected + 1).min(f.results.len().saturating_sub(1));
            f.answer_scroll = 0;
            false
        }
        Action::PageUp => {
            f.answer_scroll = f.answer_scroll.saturating_sub(5);
            false
        }
        Action::PageDown => {
            f.answer_scroll = f.answer_scroll.saturating_add(5);
            false
        }
        Action::Copy => {
            let Some(hit) = f.results.get(f.selected) else { return vec![] };
            let text = format!("{}\n{}", hit.entry.question, hit.entry.answer);
            let id = hit.entry.id.clone();
            state.last_copied = Some(hit.entry.question.clone());
            let mut fx = vec![Effect::Copy(text)];
            fx.extend(on_the_record(state, id, true));
            return fx;
        }
        Action::Confirm => {
            let Some(hit) = f.results.get(f.selected) else { return vec![] };
            let id = hit.entry.id.clone();
            let fx = on_the_record(state, id, false);
            if fx.is_empty() {
                state.message =
                    Some((Level::Warn, "応対中ではないため記録しません（Ctrl-O で応対を開始）".into()));
            }
            return fx;
        }
        Action::Refresh => return rerun(state),
        Action::Back => {
            super::pop_screen(state);
            false
        }
        _ => false,
    };
    if changed { rerun(state) } else { vec![] }
}

/// Attaches the FAQ entry to the open call's record (Enter: read to the caller; Ctrl-Y:
/// copied), so the record says what the caller was told; nothing without an open call.
fn on_the_record(state: &mut State, faq_id: String, copied: bool) -> Vec<Effect> {
    let Some(call) = state.calls.current.as_ref() else { return vec![] };
    let verb = if copied { "コピーした回答" } else { "回答" };
    state.message = Some((Level::Info, format!("{verb}を応対 #{} に記録します", call.id)));
    vec![Effect::AttachFaq { call_id: call.id, faq_id, copied }]
}

/// Sends the current FAQ query as the newest one.
pub fn rerun(state: &mut State) -> Vec<Effect> {
    let f = &mut state.faq;
    f.seq += 1;
    let query = f.input.value().trim().to_string();
    if query.is_empty() {
        f.results.clear();
        f.shown_query.clear();
        f.loading = false;
        f.selected = 0;
        return vec![];
    }
    f.loading = true;
    vec![Effect::Faq { seq: f.seq, query }]
}

pub fn done(state: &mut State, seq: u64, reply: Reply<FaqResponse>) -> Vec<Effect> {
    let f = &mut state.faq;
    if seq != f.seq {
        return vec![];
    }
    f.loading = false;
    match reply {
        Ok(r) => {
            f.shown_query = r.query;
            f.results = r.results;
            f.selected = 0;
            f.answer_scroll = 0;
            f.error = None;
        }
        Err(e) => f.error = Some(e.to_string()),
    }
    vec![]
}
