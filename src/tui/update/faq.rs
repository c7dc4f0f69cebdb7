//! FAQ screen (F3): the query (latest answer wins, as in the lookup), the ranked questions,
//! the selected answer's scroll, and copying the answer.

use crate::api::FaqResponse;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{FaqState, Level, State};

/// How many answers the FAQ asks for.
pub const FAQ_LIMIT: u32 = 20;

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let f = &mut state.faq;
    let changed = match action {
        Action::Command(Command::Up) => select_by(f, -1),
        Action::Command(Command::Down) => select_by(f, 1),
        Action::Command(Command::PageUp) => {
            f.answer_scroll = f.answer_scroll.saturating_sub(5);
            false
        }
        Action::Command(Command::PageDown) => {
            f.answer_scroll = f.answer_scroll.saturating_add(5);
            false
        }
        Action::Command(Command::Copy) => {
            let Some(hit) = f.selected() else { return vec![] };
            let text = format!("{}\n{}", hit.entry.question, hit.entry.answer);
            let id = hit.entry.id.clone();
            state.last_copied = Some(hit.entry.question.clone());
            let mut fx = vec![Effect::Copy(text)];
            fx.extend(on_the_record(state, id, true));
            return fx;
        }
        Action::Command(Command::Confirm) => {
            let Some(hit) = f.selected() else { return vec![] };
            let id = hit.entry.id.clone();
            let fx = on_the_record(state, id, false);
            if fx.is_empty() {
                let start = state.key_name(Command::StartCall);
                state.message =
                    Some((Level::Warn, format!("応対中ではないため記録しません（{start} で応対を開始）")));
            }
            return fx;
        }
        Action::Command(Command::Refresh) => return rerun(state),
        Action::Command(Command::Back) => {
            super::pop_screen(state);
            false
        }
        other => f.edit(&other),
    };
    if changed { rerun(state) } else { vec![] }
}

/// Another question: its answer from the top.
fn select_by(f: &mut FaqState, delta: isize) -> bool {
    f.move_selection(delta);
    f.answer_scroll = 0;
    false
}

/// Attaches the FAQ entry to the open call's record (Enter: read to the caller; Ctrl-Y:
/// copied), so the record says what the caller was told; nothing without an open call.
fn on_the_record(state: &mut State, faq_id: String, copied: bool) -> Vec<Effect> {
    let Some(call) = state.calls.current.as_ref() else { return vec![] };
    let verb = if copied { "コピーした回答" } else { "回答" };
    state.message = Some((Level::Info, format!("{verb}を応対 #{} に記録します", call.id)));
    vec![Effect::AttachFaq { call_id: call.id, faq_id, copied }]
}

/// Sends the current FAQ query as the newest one (an empty query shows the open call's
/// suggestions again, if any).
pub fn rerun(state: &mut State) -> Vec<Effect> {
    state.faq.suggested = None;
    match state.faq.next_query() {
        Some((seq, query)) => vec![Effect::Faq { seq, query }],
        None => {
            super::suggest::show_in_faq(state);
            vec![]
        }
    }
}

pub fn done(state: &mut State, seq: u64, reply: Reply<FaqResponse>) -> Vec<Effect> {
    let f = &mut state.faq;
    let arrived = reply.is_ok();
    if f.answer(seq, reply.map(|r| (r.query, r.results)).map_err(|e| e.to_string())) && arrived {
        f.answer_scroll = 0;
    }
    vec![]
}
