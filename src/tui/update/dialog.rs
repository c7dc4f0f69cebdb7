//! The change dialog: fields → confirmation (before → after and the rule) → commit →
//! receipt. A refusal (409) is shown in the server's words; a 412 shows the fresh state and
//! offers to redo on it; a dropped connection keeps the dialog and retries with the same
//! Idempotency-Key, so a change is never made twice and never silently lost. Verification by
//! calling back the registered number changes nothing yet: confirming registers a call-back
//! carrying the change, and the dialog opened on that call-back's call completes it.

use crate::api::{ChangeReaderApplication, ChangeReceipt, NewCallBack, ReaderApplicationView};
use crate::client::ClientError;
use crate::domain::call::PendingChange;
use crate::domain::{CallBack, CallBackOutcome};

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{ChangeDialog, DialogField, DialogStage, Level, Loadable, State};
use super::super::text::{VERIFICATIONS, ui};

/// F4: opens the dialog on the institution's application as shown, and asks for the fresh
/// one (its version is what `If-Match` will carry).
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(inst) = state.institution.as_ref() else { return vec![] };
    let Some(detail) = inst.detail.get() else {
        let change = state.key_name(Command::Change);
        let message = format!("医療機関の情報を読み込み中です。表示されてから {change} を押してください");
        state.message = Some((Level::Warn, message));
        return vec![];
    };
    let current = detail.reader_application.clone();
    // On a call-back's call for this institution, the dialog completes that call-back: its
    // waiting change fills the fields, verified by this very call.
    let callback =
        state.calls.callback.as_ref().filter(|c| c.code == detail.institution.code && c.done_at.is_none());
    let pending = callback.and_then(|c| c.change.clone());
    let mut d = ChangeDialog {
        code: detail.institution.code.as_str().to_string(),
        institution_name: detail.institution.name.clone(),
        current,
        field: DialogField::Model,
        model_idx: 0,
        units: 1,
        caller: Default::default(),
        role_idx: 0,
        verification: None,
        stage: DialogStage::Editing,
        idempotency_key: None,
        problem: None,
        from_callback: callback.map(|c| c.id),
        preset_model: pending.as_ref().map(|p| p.model_id.clone()),
    };
    d.units = d.current.application.units.clamp(1, d.current.free_units.max(1));
    if let Some(p) = &pending {
        d.units = p.units.clamp(1, d.current.free_units.max(1));
        d.caller = super::super::field::TextField::new(&p.caller_name);
        d.role_idx = ui::ROLES.iter().position(|r| *r == p.caller_role).unwrap_or(ui::ROLES.len() - 1);
        d.verification = Some(crate::api::Verification::CallbackRegisteredPhone);
    }
    let code = d.code.clone();
    state.dialog = Some(d);
    models_arrived(state);
    let mut fx = vec![Effect::LoadApplication { code }];
    if !matches!(state.models, Loadable::Loaded(_) | Loadable::Loading) {
        state.models = Loadable::Loading;
        fx.push(Effect::LoadModels);
    }
    fx
}

/// Preselects the current model once the catalog is known.
pub fn models_arrived(state: &mut State) {
    let (Some(d), Some(models)) = (state.dialog.as_mut(), state.models.get()) else { return };
    if let Some(id) = d.preset_model.as_ref().or(d.current.application.model_id.as_ref())
        && let Some(i) = models.iter().position(|m| &m.id == id)
    {
        d.model_idx = i;
    }
    d.model_idx = d.model_idx.min(models.len().saturating_sub(1));
}

pub fn application_loaded(state: &mut State, code: &str, reply: Reply<ReaderApplicationView>) -> Vec<Effect> {
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    if d.code != code {
        return vec![];
    }
    match reply {
        Ok(view) => {
            if matches!(d.stage, DialogStage::Editing | DialogStage::Confirm) {
                d.current = view;
                d.units = d.units.clamp(1, d.current.free_units.max(1));
            }
        }
        Err(e) => d.problem = Some(e.to_string()),
    }
    models_arrived(state);
    vec![]
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    match &d.stage {
        DialogStage::Editing => editing(state, action),
        DialogStage::Confirm => match action {
            Action::Command(Command::Confirm) if d.needs_callback() => register_callback(state),
            Action::Command(Command::Confirm) => submit(state),
            Action::Command(Command::Back) => {
                d.stage = DialogStage::Editing;
                vec![]
            }
            _ => vec![],
        },
        DialogStage::Submitting { .. } | DialogStage::RegisteringCallBack => vec![],
        DialogStage::CallBackRegistered(_) => match action {
            Action::Command(Command::Confirm) | Action::Command(Command::Back) => close_without_reload(state),
            _ => vec![],
        },
        DialogStage::Offline { .. } => match action {
            Action::Command(Command::Confirm) => retry(state),
            Action::Command(Command::Back) => {
                // The key is kept: if the change did reach the server, resending the same
                // body finds it; If-Match stops any different second change.
                d.stage = DialogStage::Editing;
                d.problem = Some("送信結果が未確認です。もう一度確定すると同じ受付キーで確認します".into());
                vec![]
            }
            _ => vec![],
        },
        DialogStage::Refused { .. } => match action {
            Action::Command(Command::Confirm) | Action::Command(Command::Back) => {
                d.stage = DialogStage::Editing;
                vec![]
            }
            _ => vec![],
        },
        DialogStage::Stale { current, .. } => match action {
            Action::Command(Command::Confirm) => {
                if let Some(fresh) = current.clone() {
                    d.current = *fresh;
                    d.units = d.units.clamp(1, d.current.free_units.max(1));
                    d.idempotency_key = None;
                    d.stage = DialogStage::Confirm;
                    vec![]
                } else {
                    d.stage = DialogStage::Editing;
                    vec![Effect::LoadApplication { code: d.code.clone() }]
                }
            }
            Action::Command(Command::Back) => close(state),
            _ => vec![],
        },
        DialogStage::Receipt(r) => match action {
            Action::Command(Command::Copy) => {
                let no = r.receipt_no.clone();
                state.last_copied = Some(no.clone());
                vec![Effect::Copy(no)]
            }
            Action::Command(Command::Confirm) | Action::Command(Command::Back) => close(state),
            _ => vec![],
        },
    }
}

fn close(state: &mut State) -> Vec<Effect> {
    state.dialog = None;
    let mut fx = state.institution.as_ref().map(|i| Effect::load_institution(&i.code)).unwrap_or_default();
    if state.calls.current.is_some() {
        fx.push(Effect::LoadCalls);
    }
    fx
}

fn editing(state: &mut State, action: Action) -> Vec<Effect> {
    let models_len = state.models.get().map(|m| m.len()).unwrap_or(0);
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    let fields = d.fields();
    let pos = fields.iter().position(|f| *f == d.field).unwrap_or(0);
    let mut changed = false;
    match action {
        Action::Command(Command::Next) => d.field = fields[(pos + 1) % fields.len()],
        Action::Command(Command::Prev) => d.field = fields[(pos + fields.len() - 1) % fields.len()],
        Action::Command(Command::Up) | Action::Command(Command::Down) => {
            let up = matches!(action, Action::Command(Command::Up));
            changed = true;
            match d.field {
                DialogField::Model if models_len > 0 => {
                    d.model_idx =
                        if up { d.model_idx.saturating_sub(1) } else { (d.model_idx + 1).min(models_len - 1) }
                }
                DialogField::Units => {
                    let max = d.current.free_units.max(1);
                    d.units = if up { (d.units + 1).min(max) } else { d.units.saturating_sub(1).max(1) }
                }
                DialogField::CallerRole => {
                    let n = ui::ROLES.len();
                    d.role_idx = if up { (d.role_idx + n - 1) % n } else { (d.role_idx + 1) % n }
                }
                DialogField::Verification => {
                    let i = d.verification.and_then(|v| VERIFICATIONS.iter().position(|x| *x == v));
                    let n = VERIFICATIONS.len();
                    let next = match (i, up) {
                        (None, false) => 0,
                        (None, true) => n - 1,
                        (Some(i), false) => (i + 1) % n,
                        (Some(i), true) => (i + n - 1) % n,
                    };
                    d.verification = Some(VERIFICATIONS[next]);
                }
                DialogField::CallerName => {
                    changed = false;
                    d.field =
                        if up { fields[pos.saturating_sub(1)] } else { fields[(pos + 1) % fields.len()] };
                }
                DialogField::Model => changed = false,
            }
        }
        Action::Insert(c) if d.field == DialogField::CallerName => changed = d.caller.insert(c),
        Action::Paste(s) if d.field == DialogField::CallerName => changed = d.caller.paste(&s),
        Action::Edit(k) if d.field == DialogField::CallerName => changed = d.caller.edit(k),
        Action::Command(Command::Confirm) => {
            if pos + 1 < fields.len() {
                d.field = fields[pos + 1];
            } else {
                return to_confirm(state);
            }
        }
        Action::Command(Command::Back) => return close_without_reload(state),
        _ => {}
    }
    if changed {
        // A different body needs a different Idempotency-Key.
        d.idempotency_key = None;
        d.problem = None;
    }
    vec![]
}

fn close_without_reload(state: &mut State) -> Vec<Effect> {
    state.dialog = None;
    vec![]
}

/// The change body the fields describe, or what is missing (and the field to go to).
pub fn body(state: &State) -> Result<ChangeReaderApplication, (DialogField, &'static str)> {
    let d = state.dialog.as_ref().ok_or((DialogField::Model, ui::MODEL_REQUIRED))?;
    let model = state
        .models
        .get()
        .and_then(|m| m.get(d.model_idx))
        .ok_or((DialogField::Model, ui::MODEL_REQUIRED))?;
    let caller = d.caller.value().trim();
    if caller.is_empty() {
        return Err((DialogField::CallerName, ui::CALLER_REQUIRED));
    }
    let verification = d.verification.ok_or((DialogField::Verification, ui::VERIFY_REQUIRED))?;
    Ok(ChangeReaderApplication {
        model_id: model.id.clone(),
        units: d.units,
        caller_name: caller.to_string(),
        caller_role: ui::ROLES.get(d.role_idx).copied().unwrap_or("その他").to_string(),
        verification,
        call_id: state.calls.current.as_ref().map(|c| c.id),
    })
}

fn to_confirm(state: &mut State) -> Vec<Effect> {
    let checked = body(state);
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    match checked {
        Ok(_) => {
            d.problem = None;
            d.stage = DialogStage::Confirm;
        }
        Err((field, msg)) => {
            d.field = field;
            d.problem = Some(msg.to_string());
        }
    }
    vec![]
}

/// The body to send, or, when a field is wrong, the dialog back at that field with the problem.
fn body_or_back_to_editing(state: &mut State) -> Option<ChangeReaderApplication> {
    match body(state) {
        Ok(b) => Some(b),
        Err((field, msg)) => {
            if let Some(d) = state.dialog.as_mut() {
                d.stage = DialogStage::Editing;
                d.field = field;
                d.problem = Some(msg.to_string());
            }
            None
        }
    }
}

fn submit(state: &mut State) -> Vec<Effect> {
    let Some(b) = body_or_back_to_editing(state) else { return vec![] };
    let key = match state.dialog.as_ref().and_then(|d| d.idempotency_key.clone()) {
        Some(k) => k,
        None => super::new_key(state),
    };
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    d.idempotency_key = Some(key.clone());
    d.stage = DialogStage::Submitting { attempt: 1 };
    vec![Effect::Change {
        code: d.code.clone(),
        if_match: d.current.application.version,
        idempotency_key: key,
        body: b,
    }]
}

/// Verification by calling back the registered number: instead of changing now, registers a
/// call-back that carries the change; whoever takes it completes it (see [`open`]).
fn register_callback(state: &mut State) -> Vec<Effect> {
    let Some(b) = body_or_back_to_editing(state) else { return vec![] };
    let model = state
        .models
        .get()
        .and_then(|m| m.iter().find(|x| x.id == b.model_id))
        .map(|m| format!("{} {}", m.maker, m.name))
        .unwrap_or_else(|| b.model_id.clone());
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    d.stage = DialogStage::RegisteringCallBack;
    let reason = format!(
        "カードリーダー申込の変更（{model} {}台）の本人確認: {}（{}）",
        b.units, b.caller_name, b.caller_role
    );
    let change = PendingChange {
        model_id: b.model_id,
        units: b.units,
        caller_name: b.caller_name,
        caller_role: b.caller_role,
    };
    let body = NewCallBack {
        code: d.code.clone(),
        reason,
        call_id: b.call_id,
        change: Some(change),
        ..NewCallBack::default()
    };
    vec![Effect::CreateCallBack { from_dialog: true, body }]
}

/// The call-back the dialog asked for is registered (or refused, in the server's words).
pub fn callback_created(state: &mut State, reply: Reply<CallBack>) -> Vec<Effect> {
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    if !matches!(d.stage, DialogStage::RegisteringCallBack) {
        return vec![];
    }
    match reply {
        Ok(cb) => {
            state.message = Some((Level::Info, crate::tui::text::callback_registered(&cb)));
            d.stage = DialogStage::CallBackRegistered(Box::new(cb));
            vec![Effect::LoadCallBacks]
        }
        Err(e) => {
            d.stage = DialogStage::Refused { message: e.to_string() };
            vec![]
        }
    }
}

/// Resends the change after a dropped connection: same key, same body, same If-Match.
pub fn retry(state: &mut State) -> Vec<Effect> {
    let Ok(b) = body(state) else { return vec![] };
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    let (DialogStage::Offline { attempt, .. }, Some(key)) = (&d.stage, d.idempotency_key.clone()) else {
        return vec![];
    };
    d.stage = DialogStage::Submitting { attempt: attempt + 1 };
    vec![Effect::Change {
        code: d.code.clone(),
        if_match: d.current.application.version,
        idempotency_key: key,
        body: b,
    }]
}

pub fn change_done(state: &mut State, key: &str, reply: Reply<ChangeReceipt>) -> Vec<Effect> {
    let Some(d) = state.dialog.as_mut() else { return vec![] };
    if d.idempotency_key.as_deref() != Some(key) {
        return vec![];
    }
    let attempt = match d.stage {
        DialogStage::Submitting { attempt } => attempt,
        _ => 1,
    };
    match reply {
        Ok(receipt) => {
            d.idempotency_key = None;
            let no = receipt.receipt_no.clone();
            if let Some(inst) = state.institution.as_mut()
                && let Loadable::Loaded(detail) = &mut inst.detail
                && detail.institution.code.as_str() == d.code
            {
                detail.reader_application = receipt.application.clone();
            }
            d.stage = DialogStage::Receipt(Box::new(receipt));
            state.message = Some((Level::Info, format!("変更を受け付けました。受付番号 {no}")));
            let mut fx = vec![Effect::LoadAudit { code: d.code.clone() }];
            // The change a call-back waited for is done: the call-back reached its caller.
            if let Some(id) = d.from_callback
                && state.calls.callback.as_ref().is_some_and(|c| c.id == id && c.change.is_some())
            {
                fx.push(Effect::CloseCallBack { id, outcome: CallBackOutcome::Reached });
            }
            if state.calls.current.is_some() {
                fx.push(Effect::LoadCalls);
            }
            fx
        }
        Err(ClientError::Offline(e)) => {
            d.stage = DialogStage::Offline { attempt, error: e };
            vec![Effect::RetryChangeLater]
        }
        Err(ClientError::Stale { message, current }) => {
            d.stage = DialogStage::Stale { message, current };
            vec![]
        }
        Err(e) => {
            d.stage = DialogStage::Refused { message: e.to_string() };
            vec![]
        }
    }
}
