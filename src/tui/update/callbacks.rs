//! 折り返し in the console: the form that promises a call back (from an open call or the open
//! institution), the dashboard's list (take one: its institution opens and a linked call
//! starts), the outcome picker, and the change a call-back was waiting for. The number is
//! never typed: the server copies the institution's registered one.

use chrono::Duration;

use crate::api::{NewCallBack, TakenCallBack};
use crate::domain::{CallBack, CallBackOutcome};

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::field::TextField;
use super::super::keymap::Context;
use super::super::state::{
    CALLBACK_DUE_CHOICES, CallBackForm, DashboardTab, DialogStage, Level, Loadable, Screen, State,
};

/// The institution a new call-back is for: the current call's, else the one on screen.
fn target_code(state: &State) -> Option<String> {
    let from_call = state.calls.current.as_ref().and_then(|c| c.code.clone());
    let on_screen =
        state.institution.as_ref().filter(|_| state.screen != Screen::Lookup).map(|i| i.code.clone());
    from_call.or(on_screen)
}

/// Opens the new call-back form over the call log, its reason started from the call's note.
pub fn open_form(state: &mut State) -> Vec<Effect> {
    if state.dialog.as_ref().is_some_and(|d| !matches!(d.stage, DialogStage::Receipt(_))) {
        state.message = Some((
            Level::Warn,
            "変更の本人確認で折り返す場合は、本人確認に「登録電話番号へ折り返し」を選んでください".into(),
        ));
        return vec![];
    }
    let Some(code) = target_code(state) else {
        state.message = Some((Level::Warn, "折り返す医療機関を先に開くか、応対に紐付けてください".into()));
        return vec![];
    };
    let detail =
        state.institution.as_ref().and_then(|i| i.detail.get()).filter(|d| d.institution.code == code);
    let note = state.calls.note.value().trim().to_string();
    state.calls.callback_form = Some(CallBackForm {
        name: detail.map(|d| d.institution.name.clone()),
        phone: detail.and_then(|d| d.institution.phone.clone()),
        code,
        reason: TextField::new(&note),
        due_idx: 0,
        sending: false,
        problem: None,
    });
    super::push_screen(state, Screen::Calls);
    let confirm = state.key_name(Command::Confirm);
    state.message = Some((Level::Info, format!("折り返しの用件を入れ、予定を選んで {confirm} で登録します")));
    vec![]
}

/// Keys of the open form: typing edits the reason, Up/Down choose the due time, Enter
/// registers, Esc closes the form.
pub fn form_key(state: &mut State, action: Action) -> Vec<Effect> {
    let now = state.now;
    let call_id = state.calls.current.as_ref().map(|c| c.id);
    let Some(form) = state.calls.callback_form.as_mut() else { return vec![] };
    if form.sending {
        return vec![];
    }
    let n = CALLBACK_DUE_CHOICES.len();
    match action {
        Action::Insert(c) => {
            form.reason.insert(c);
        }
        Action::Paste(s) => {
            form.reason.paste(&s);
        }
        Action::Edit(k) => {
            form.reason.edit(k);
        }
        Action::Command(Command::Up) => form.due_idx = (form.due_idx + n - 1) % n,
        Action::Command(Command::Down) | Action::Command(Command::Next) => {
            form.due_idx = (form.due_idx + 1) % n
        }
        Action::Command(Command::Confirm) => {
            let reason = form.reason.value().trim().to_string();
            if reason.is_empty() {
                form.problem = Some("折り返しの用件を入力してください".into());
                return vec![];
            }
            form.sending = true;
            form.problem = None;
            let due_at = CALLBACK_DUE_CHOICES[form.due_idx].0.map(|m| now + Duration::minutes(m));
            let body =
                NewCallBack { code: form.code.clone(), reason, due_at, call_id, ..NewCallBack::default() };
            return vec![Effect::CreateCallBack { from_dialog: false, body }];
        }
        Action::Command(Command::Back) => {
            state.calls.callback_form = None;
            state.message = None;
        }
        _ => {}
    }
    vec![]
}

/// The server's answer to a new call-back (from the form or the change dialog).
pub fn created(state: &mut State, from_dialog: bool, reply: Reply<CallBack>) -> Vec<Effect> {
    if from_dialog {
        return super::dialog::callback_created(state, reply);
    }
    let Some(form) = state.calls.callback_form.as_mut() else { return vec![] };
    match reply {
        Ok(cb) => {
            state.calls.callback_form = None;
            state.message = Some((Level::Info, crate::tui::text::callback_registered(&cb)));
            vec![Effect::LoadCallBacks]
        }
        Err(e) => {
            form.sending = false;
            form.problem = Some(e.to_string());
            vec![]
        }
    }
}

/// The open call-backs arrived (overdue first, as the server sorts them).
pub fn loaded(state: &mut State, reply: Reply<Vec<CallBack>>) -> Vec<Effect> {
    let cbs = &mut state.dashboard.callbacks;
    if let Ok(list) = &reply {
        cbs.selected = cbs.selected.min(list.len().saturating_sub(1));
        // A console restarted during a call-back's call: know which call-back it makes.
        if state.calls.callback.is_none()
            && let Some(id) = state.calls.current.as_ref().and_then(|c| c.callback_id)
        {
            state.calls.callback = list.iter().find(|c| c.id == id).cloned();
        }
    }
    cbs.list = Loadable::from_reply(reply);
    vec![]
}

/// The call-back selected in the dashboard's list.
fn selected(state: &State) -> Option<&CallBack> {
    let cbs = &state.dashboard.callbacks;
    cbs.list.get().and_then(|l| l.get(cbs.selected))
}

/// Enter on the list: take the selected call-back (a call starts on its institution).
pub fn take(state: &mut State) -> Vec<Effect> {
    if let Some(call) = state.calls.current.as_ref() {
        let close = state.key_name(Command::CloseCall);
        state.message = Some((
            Level::Warn,
            format!("応対 #{} の途中です。{close} で終了してから折り返してください", call.id),
        ));
        return vec![];
    }
    let Some(id) = selected(state).map(|c| c.id) else { return vec![] };
    if state.dashboard.callbacks.busy {
        return vec![];
    }
    state.dashboard.callbacks.busy = true;
    vec![Effect::TakeCallBack { id }]
}

/// A call-back was taken: its call is the current call, its institution opens, and the
/// operator is told the number to dial (and that F4 completes a waiting change).
pub fn taken(state: &mut State, reply: Reply<TakenCallBack>) -> Vec<Effect> {
    state.dashboard.callbacks.busy = false;
    let taken = match reply {
        Ok(t) => t,
        Err(e) => {
            state.message = Some((Level::Error, format!("折り返しを開始できませんでした: {e}")));
            return vec![Effect::LoadCallBacks];
        }
    };
    let TakenCallBack { callback, call } = taken;
    let mut message = format!(
        "折り返し #{}: 登録電話番号 {} へおかけください（応対 #{} を開始しました）",
        callback.id, callback.phone, call.id
    );
    if callback.change.is_some() {
        let change = state.key_name_in(Context::Institution, Command::Change);
        message.push_str(&format!("。本人確認できたら {change} で保留中の変更を確定します"));
    }
    let code = callback.code.clone();
    state.calls.note = TextField::new(&call.note);
    state.calls.current = Some(call);
    state.calls.wrap_up = None;
    state.calls.callback = Some(callback);
    let mut fx = super::lookup::open_institution(state, code);
    fx.extend([Effect::LoadCalls, Effect::LoadCallBacks]);
    state.message = Some((Level::Info, message));
    fx
}

/// Opens the outcome picker: on the list's selected call-back on the dashboard's call-back
/// tab, else on the call-back the current call makes (the list is shown with it).
pub fn close(state: &mut State) -> Vec<Effect> {
    let on_list = state.screen == Screen::Dashboard && state.dashboard.tab == DashboardTab::CallBacks;
    let id = if on_list {
        selected(state).map(|c| c.id)
    } else {
        state.calls.callback.as_ref().filter(|c| c.done_at.is_none()).map(|c| c.id)
    };
    let Some(id) = id else {
        let dashboard = state.key_name(Command::Dashboard);
        state.message = Some((
            Level::Warn,
            format!("結果を記録する折り返しを {dashboard} の「折り返し」で選んでください"),
        ));
        return vec![];
    };
    let mut fx = Vec::new();
    if !on_list {
        super::push_screen(state, Screen::Dashboard);
        state.dashboard.tab = DashboardTab::CallBacks;
        if let Some(i) = state.dashboard.callbacks.list.get().and_then(|l| l.iter().position(|c| c.id == id))
        {
            state.dashboard.callbacks.selected = i;
        }
        fx.push(Effect::LoadCallBacks);
    }
    state.dashboard.callbacks.closing = Some((id, CallBackOutcome::Reached));
    let confirm = state.key_name(Command::Confirm);
    state.message =
        Some((Level::Info, format!("折り返し #{id} の結果を数字か上下で選び、{confirm} で記録します")));
    fx
}

/// Keys of the outcome picker: a digit or Up/Down chooses, Enter records, Esc cancels.
pub fn picker_key(state: &mut State, action: Action) -> Vec<Effect> {
    let cbs = &mut state.dashboard.callbacks;
    let Some((id, outcome)) = cbs.closing.as_mut() else { return vec![] };
    let all = CallBackOutcome::ALL;
    let at = all.iter().position(|o| o == outcome).unwrap_or(0);
    match action {
        Action::Insert(ch) => {
            match ch.to_digit(10).and_then(|d| (d as usize).checked_sub(1)).and_then(|i| all.get(i)) {
                Some(o) => *outcome = *o,
                None => {
                    state.message =
                        Some((Level::Warn, format!("結果は 1〜{} の数字で選んでください", all.len())))
                }
            }
        }
        Action::Command(Command::Up) => *outcome = all[(at + all.len() - 1) % all.len()],
        Action::Command(Command::Down) => *outcome = all[(at + 1) % all.len()],
        Action::Command(Command::Confirm) => {
            if cbs.busy {
                return vec![];
            }
            cbs.busy = true;
            return vec![Effect::CloseCallBack { id: *id, outcome: *outcome }];
        }
        Action::Command(Command::Back) => {
            cbs.closing = None;
            state.message = None;
        }
        _ => {}
    }
    vec![]
}

/// A call-back's outcome is recorded.
pub fn closed(state: &mut State, reply: Reply<CallBack>) -> Vec<Effect> {
    state.dashboard.callbacks.busy = false;
    match reply {
        Ok(cb) => {
            state.dashboard.callbacks.closing = None;
            let outcome = cb.outcome.map(|o| o.label_ja()).unwrap_or("");
            let mut message = format!("折り返し #{} を「{outcome}」で記録しました", cb.id);
            if let Some(mine) = state.calls.callback.as_mut().filter(|c| c.id == cb.id) {
                *mine = cb.clone();
                let close = state.key_name(Command::CloseCall);
                message.push_str(&format!("。応対は {close} で終了します"));
            }
            state.message = Some((Level::Info, message));
            vec![Effect::LoadCallBacks]
        }
        Err(e) => {
            state.dashboard.callbacks.closing = None;
            state.message = Some((Level::Error, format!("折り返しの結果を記録できませんでした: {e}")));
            vec![Effect::LoadCallBacks]
        }
    }
}
