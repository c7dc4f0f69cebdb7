//! The call log: start a call (the status bar's timer), attach the open institution, write
//! a note, close it; today's calls listed.

use crate::api::{Call, ScreenPop, UpdateCall};
use crate::domain::WrapUpReason;
use crate::domain::call::proposed_reasons;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{DialogStage, Level, Loadable, Screen, State};

/// Starts a call, attached to the open institution if one is shown.
pub fn start(state: &mut State) -> Vec<Effect> {
    if state.calls.current.is_some() {
        state.message = Some((Level::Warn, "応対中です。終了してから新しい応対を始めてください".into()));
        return vec![];
    }
    if state.calls.saving {
        return vec![];
    }
    state.calls.saving = true;
    let code = open_code(state);
    vec![Effect::StartCall { code }]
}

fn open_code(state: &State) -> Option<String> {
    state.institution.as_ref().filter(|_| state.screen != Screen::Lookup).map(|i| i.code.clone())
}

/// Attaches the open institution to the current call.
pub fn attach(state: &mut State) -> Vec<Effect> {
    let Some(call) = state.calls.current.as_ref() else {
        state.message = Some((Level::Warn, "応対が始まっていません。先に応対を開始してください".into()));
        return vec![];
    };
    let Some(code) = state.institution.as_ref().map(|i| i.code.clone()) else {
        state.message = Some((Level::Warn, "紐付ける医療機関を先に開いてください".into()));
        return vec![];
    };
    state.calls.saving = true;
    vec![Effect::UpdateCall {
        id: call.id,
        update: UpdateCall { code: Some(code), note: None, reasons: None, close: false },
    }]
}

/// Asks for the wrap-up reasons of the current call: shows the call log with the picker open,
/// the reasons a change during the call implies already chosen (Enter then closes).
pub fn close(state: &mut State) -> Vec<Effect> {
    let Some(call) = state.calls.current.as_ref() else {
        state.message = Some((Level::Warn, "応対中の通話はありません".into()));
        return vec![];
    };
    if state.calls.wrap_up.is_none() {
        let chosen = if call.reasons.is_empty() {
            proposed_reasons(reasons(state), !call.receipts.is_empty())
        } else {
            call.reasons.clone()
        };
        state.calls.wrap_up = Some(chosen);
    }
    super::push_screen(state, Screen::Calls);
    let confirm = state.key_name(Command::Confirm);
    state.message = Some((Level::Info, format!("応対の理由を数字で選び、{confirm} で終了します")));
    vec![]
}

/// The policy's wrap-up list, as the server sent it.
fn reasons(state: &State) -> &[WrapUpReason] {
    state.me.get().map(|m| m.wrap_up_reasons.as_slice()).unwrap_or(&[])
}

/// Keys of the open wrap-up picker: a digit toggles the reason of that number, Enter closes
/// the call with the chosen reasons (asks again when none is chosen), Esc goes back to the call.
fn wrap_up_key(state: &mut State, action: Action) -> Vec<Effect> {
    let list: Vec<String> = reasons(state).iter().map(|r| r.id.clone()).collect();
    let Some(chosen) = state.calls.wrap_up.as_mut() else { return vec![] };
    match action {
        Action::Insert(ch) => {
            let picked = ch.to_digit(10).and_then(|d| (d as usize).checked_sub(1)).and_then(|i| list.get(i));
            match picked {
                Some(id) if chosen.contains(id) => chosen.retain(|c| c != id),
                Some(id) => chosen.push(id.clone()),
                None => {
                    state.message =
                        Some((Level::Warn, format!("理由は 1〜{} の数字で選んでください", list.len())));
                }
            }
        }
        Action::Command(Command::Confirm) => {
            if chosen.is_empty() {
                state.message = Some((Level::Warn, "応対の理由を1つ以上選んでください（数字キー）".into()));
                return vec![];
            }
            let Some(call) = state.calls.current.as_ref() else { return vec![] };
            let reasons = list.iter().filter(|id| chosen.contains(id)).cloned().collect();
            state.calls.saving = true;
            let note = Some(state.calls.note.value().to_string());
            return vec![Effect::UpdateCall {
                id: call.id,
                update: UpdateCall { code: None, note, reasons: Some(reasons), close: true },
            }];
        }
        Action::Command(Command::Back) => {
            state.calls.wrap_up = None;
            state.message = None;
        }
        _ => {}
    }
    vec![]
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    if state.calls.callback_form.is_some() {
        return super::callbacks::form_key(state, action);
    }
    if state.calls.wrap_up.is_some() {
        return wrap_up_key(state, action);
    }
    let c = &mut state.calls;
    match action {
        Action::Insert(ch) if c.current.is_some() => {
            c.note.insert(ch);
        }
        Action::Paste(s) if c.current.is_some() => {
            c.note.paste(&s);
        }
        Action::Edit(k) if c.current.is_some() => {
            c.note.edit(k);
        }
        Action::Command(Command::Up) => c.selected = c.selected.saturating_sub(1),
        Action::Command(Command::Down) => {
            let n = c.today.get().map(|v| v.len()).unwrap_or(0);
            c.selected = (c.selected + 1).min(n.saturating_sub(1));
        }
        Action::Command(Command::Confirm) => {
            let Some(call) = c.current.as_ref() else { return start(state) };
            c.saving = true;
            let note = Some(c.note.value().to_string());
            return vec![Effect::UpdateCall {
                id: call.id,
                update: UpdateCall { code: None, note, reasons: None, close: false },
            }];
        }
        Action::Command(Command::Refresh) => return vec![Effect::LoadCalls],
        Action::Command(Command::Back) => super::pop_screen(state),
        _ => {}
    }
    vec![]
}

pub fn saved(state: &mut State, reply: Reply<Call>) -> Vec<Effect> {
    state.calls.saving = false;
    match reply {
        Ok(call) if call.ended_at.is_some() => {
            state.calls.current = None;
            state.calls.callback = None;
            state.calls.wrap_up = None;
            state.calls.note.clear();
            state.message = Some((Level::Info, format!("応対 #{} を終了しました", call.id)));
            vec![Effect::LoadCalls]
        }
        Ok(call) => {
            let first = state.calls.current.is_none();
            if first {
                state.calls.note = super::super::field::TextField::new(&call.note);
                state.message = Some((Level::Info, format!("応対 #{} を開始しました", call.id)));
            } else {
                state.message = Some((Level::Info, format!("応対 #{} を保存しました", call.id)));
            }
            state.calls.current = Some(call);
            vec![Effect::LoadCalls]
        }
        Err(e) => {
            state.message = Some((Level::Error, format!("応対記録を保存できませんでした: {e}")));
            vec![]
        }
    }
}

pub fn loaded(state: &mut State, reply: Reply<Vec<Call>>) -> Vec<Effect> {
    if let Ok(list) = &reply {
        if let Some(cur) = state.calls.current.as_mut()
            && let Some(fresh) = list.iter().find(|c| c.id == cur.id)
        {
            *cur = fresh.clone();
        }
        // A call of this operator left open (console restarted): pick it up again.
        if state.calls.current.is_none()
            && let Some(me) = state.me.get()
            && let Some(open) = list.iter().find(|c| c.ended_at.is_none() && c.operator == me.name)
        {
            state.calls.note = super::super::field::TextField::new(&open.note);
            state.calls.current = Some(open.clone());
        }
    }
    state.calls.today = Loadable::from_reply(reply);
    vec![]
}

/// The phone system says a call is coming in to this operator (the server already started its
/// record): it becomes the current call, and the console opens the institution whose registered
/// phone matches, or the lookup with the caller's number filled in. A change dialog in progress
/// is not taken away: the operator is told and opens it when done.
pub fn screen_pop(state: &mut State, pop: ScreenPop) -> Vec<Effect> {
    let previous = state.calls.current.as_ref().map(|c| c.id).filter(|id| *id != pop.call_id);
    state.calls.current = Some(Call {
        id: pop.call_id,
        operator: pop.operator.clone(),
        started_at: state.now,
        code: pop.code.clone(),
        caller_phone: Some(pop.caller_number.clone()),
        ..Call::default()
    });
    state.calls.note.clear();
    state.calls.wrap_up = None;
    state.calls.callback = None;
    let who = match (&pop.code, pop.candidates.as_slice()) {
        (Some(_), [one]) => one.name.clone(),
        (_, []) => "登録電話番号の一致なし".to_string(),
        (_, many) => format!("候補{}件", many.len()),
    };
    let mut message = format!("着信 {}（{who}）: 応対 #{} を開始しました", pop.caller_number, pop.call_id);
    if let Some(id) = previous {
        message.push_str(&format!("。前の応対 #{id} は終了していません"));
    }
    let mut fx = vec![Effect::LoadCalls];
    let busy = state.dialog.as_ref().is_some_and(|d| !matches!(d.stage, DialogStage::Receipt(_)));
    if busy {
        message.push_str("（変更ダイアログを閉じてから開いてください）");
    } else if let Some(code) = pop.code {
        fx.extend(super::lookup::open_institution(state, code));
    } else {
        super::lookup::focus(state);
        state.lookup.input.paste(&pop.caller_number);
        fx.extend(super::lookup::rerun(state));
    }
    state.message = Some((Level::Info, message));
    fx
}
