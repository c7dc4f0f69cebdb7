//! The call log: start a call (the status bar's timer), attach the open institution, write
//! a note, close it; today's calls listed.

use crate::api::{Call, UpdateCall};

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{Level, Loadable, Screen, State};

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
        update: UpdateCall { code: Some(code), note: None, close: false },
    }]
}

/// Closes the current call, saving its note.
pub fn close(state: &mut State) -> Vec<Effect> {
    let Some(call) = state.calls.current.as_ref() else {
        state.message = Some((Level::Warn, "応対中の通話はありません".into()));
        return vec![];
    };
    state.calls.saving = true;
    let note = Some(state.calls.note.value().to_string());
    vec![Effect::UpdateCall { id: call.id, update: UpdateCall { code: None, note, close: true } }]
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
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
                update: UpdateCall { code: None, note, close: false },
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
            cur.receipts = fresh.receipts.clone();
            cur.code = fresh.code.clone();
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
