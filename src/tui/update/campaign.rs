//! 架電キャンペーン in the console: 次へ (one key) takes the next member — an ordinary call on
//! its institution, which opens with the registered number to dial; wrap-up (the close-call
//! key) opens the outcome picker and records the outcome in one step; the dashboard's tab
//! shows the burn-down, and a supervisor creates, pauses, resumes and closes from it.

use crate::api::campaign::{CampaignState, NewCampaign, RecordOutcome};
use crate::domain::ReaderStatus;
use crate::domain::campaign::{CampaignFilter, Outcome};

use super::super::action::{Action, Command};
use super::super::campaign::{CampaignEffect, CampaignForm, CampaignReply};
use super::super::effect::Effect;
use super::super::field::TextField;
use super::super::keymap::Context;
use super::super::state::{DashboardTab, Level, Loadable, Screen, State};

fn fx(e: CampaignEffect) -> Effect {
    Effect::Campaign(e)
}

/// The campaign keys that act anywhere (次へ, the progress tab) and the wrap-up of a campaign
/// call; `None` when `action` is not one of them.
pub fn global(state: &mut State, action: &Action) -> Option<Vec<Effect>> {
    match action {
        Action::Command(Command::CampaignNext) => Some(next(state)),
        Action::Command(Command::Campaign) => Some(open(state)),
        Action::Command(Command::CloseCall) if in_campaign_call(state) => Some(open_picker(state)),
        Action::Campaign(reply) => Some(replied(state, (**reply).clone())),
        _ => None,
    }
}

/// True while the open call is the call of the member leased to this operator.
pub fn in_campaign_call(state: &State) -> bool {
    let call = state.calls.current.as_ref().map(|c| c.id);
    call.is_some() && state.campaign.current.as_ref().map(|l| l.call.id) == call
}

/// 次へ: the next member of the campaign worked (asks for the list first when unknown).
pub fn next(state: &mut State) -> Vec<Effect> {
    if state.campaign.busy {
        return vec![];
    }
    if let Some(call) = state.calls.current.as_ref() {
        let close = state.key_name(Command::CloseCall);
        let what = if in_campaign_call(state) { "結果を記録して" } else { "応対を終了して" };
        state.message = Some((
            Level::Warn,
            format!("応対 #{} の途中です。{close} で{what}から次へ進んでください", call.id),
        ));
        return vec![];
    }
    state.campaign.busy = true;
    match state.campaign.chosen().map(|c| c.id) {
        Some(id) => {
            state.message = Some((Level::Info, "次の架電先を受け取っています…".into()));
            vec![fx(CampaignEffect::Next { id })]
        }
        None => {
            state.campaign.next_pending = true;
            vec![fx(CampaignEffect::List)]
        }
    }
}

/// The dashboard's campaign tab: the list and the burn-down of the one selected.
pub fn open(state: &mut State) -> Vec<Effect> {
    super::push_screen(state, Screen::Dashboard);
    state.dashboard.tab = DashboardTab::Campaign;
    load(state)
}

/// Reloads the list and the selected campaign's progress.
pub fn load(state: &mut State) -> Vec<Effect> {
    let mut out = vec![fx(CampaignEffect::List)];
    if let Some(id) = state.campaign.chosen().map(|c| c.id) {
        state.campaign.progress = Loadable::Loading;
        out.push(fx(CampaignEffect::Progress { id }));
    }
    out
}

/// Keys of the dashboard's campaign tab.
pub fn tab_key(state: &mut State, action: Action) -> Vec<Effect> {
    let ids: Vec<(i64, CampaignState)> =
        state.campaign.list.get().map(|l| l.iter().map(|c| (c.id, c.state)).collect()).unwrap_or_default();
    let at = state.campaign.chosen().and_then(|c| ids.iter().position(|(id, _)| *id == c.id));
    let close_asked = std::mem::take(&mut state.campaign.confirm_close);
    match action {
        Action::Command(Command::Up | Command::Down) if !ids.is_empty() => {
            let at = at.unwrap_or(0);
            let to = if matches!(action, Action::Command(Command::Up)) {
                at.saturating_sub(1)
            } else {
                (at + 1).min(ids.len() - 1)
            };
            state.campaign.selected = Some(ids[to].0);
            state.campaign.progress = Loadable::Loading;
            vec![fx(CampaignEffect::Progress { id: ids[to].0 })]
        }
        Action::Command(Command::Refresh) => load(state),
        Action::Command(Command::Confirm) => next(state),
        Action::Command(Command::CampaignCreate) => {
            let today =
                state.me.get().map(|m| m.business_date.format("%-m/%-d").to_string()).unwrap_or_default();
            let mut name = TextField::new(&format!("機種未定 {today}"));
            name.edit(super::super::action::EditKey::End);
            state.campaign.form = Some(CampaignForm { name, ..CampaignForm::default() });
            vec![]
        }
        Action::Command(Command::CampaignPause) => match at.map(|i| ids[i]) {
            Some((id, CampaignState::Active)) => vec![fx(CampaignEffect::SetState { id, action: "pause" })],
            Some((id, CampaignState::Paused)) => vec![fx(CampaignEffect::SetState { id, action: "resume" })],
            _ => vec![],
        },
        Action::Command(Command::CampaignClose) => {
            let Some((id, s)) = at.map(|i| ids[i]) else { return vec![] };
            if s == CampaignState::Closed {
                return vec![];
            }
            if close_asked {
                return vec![fx(CampaignEffect::SetState { id, action: "close" })];
            }
            state.campaign.confirm_close = true;
            let key = state.key_name(Command::CampaignClose);
            state.message = Some((
                Level::Warn,
                format!("キャンペーン #{id} を終了します。もう一度 {key} で確定（再開はできません）"),
            ));
            vec![]
        }
        Action::Command(Command::Back) => {
            super::pop_screen(state);
            vec![]
        }
        _ => vec![],
    }
}

/// Wrap-up of a campaign call: the outcome picker (機種選定済 proposed once the call has a
/// 受付番号, else 担当者不在).
pub fn open_picker(state: &mut State) -> Vec<Effect> {
    let changed = state.calls.current.as_ref().is_some_and(|c| !c.receipts.is_empty());
    state.campaign.picker = Some(if changed { Outcome::Selected } else { Outcome::Absent });
    let confirm = state.key_name(Command::Confirm);
    state.message =
        Some((Level::Info, format!("架電結果を数字か上下で選び、{confirm} で記録します（応対も終了）")));
    vec![]
}

/// Keys of the open popups: the outcome picker, or the create form.
pub fn popup_key(state: &mut State, action: Action) -> Vec<Effect> {
    if state.campaign.form.is_some() {
        return form_key(state, action);
    }
    let Some(chosen) = state.campaign.picker else { return vec![] };
    let all = Outcome::ALL;
    let at = all.iter().position(|o| *o == chosen).unwrap_or(0);
    match action {
        Action::Insert(ch) => {
            match ch.to_digit(10).and_then(|d| (d as usize).checked_sub(1)).and_then(|i| all.get(i)) {
                Some(o) => state.campaign.picker = Some(*o),
                None => {
                    state.message =
                        Some((Level::Warn, format!("結果は 1〜{} の数字で選んでください", all.len())))
                }
            }
        }
        Action::Command(Command::Up) => state.campaign.picker = Some(all[(at + all.len() - 1) % all.len()]),
        Action::Command(Command::Down) | Action::Command(Command::Next) => {
            state.campaign.picker = Some(all[(at + 1) % all.len()])
        }
        Action::Command(Command::Confirm) => return record(state, chosen),
        Action::Command(Command::Back) => {
            state.campaign.picker = None;
            state.message = None;
        }
        _ => {}
    }
    vec![]
}

/// Sends the outcome; 機種選定済 carries the call's latest 受付番号 (the server checks it).
fn record(state: &mut State, outcome: Outcome) -> Vec<Effect> {
    let Some(leased) = state.campaign.current.as_ref() else {
        state.campaign.picker = None;
        return vec![];
    };
    if state.campaign.busy {
        return vec![];
    }
    let receipt = state.calls.current.as_ref().and_then(|c| c.receipts.last().cloned());
    let body = RecordOutcome {
        outcome,
        receipt_no: (outcome == Outcome::Selected).then_some(receipt).flatten(),
        call_back_due_at: None,
    };
    state.campaign.busy = true;
    vec![fx(CampaignEffect::Outcome { id: leased.member.campaign_id, member: leased.member.id, body })]
}

/// Keys of the create form: typing edits the focused field, Tab/Up/Down move, Enter creates.
fn form_key(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(form) = state.campaign.form.as_mut() else { return vec![] };
    let field = if form.field == 0 { &mut form.name } else { &mut form.prefectures };
    match action {
        Action::Insert(c) => {
            field.insert(c);
        }
        Action::Paste(s) => {
            field.paste(&s);
        }
        Action::Edit(k) => {
            field.edit(k);
        }
        Action::Command(Command::Next | Command::Prev | Command::Up | Command::Down) => {
            form.field = 1 - form.field
        }
        Action::Command(Command::Confirm) => {
            let prefectures: Vec<String> = form
                .prefectures
                .value()
                .split([',', '、', ' ', '　', '，'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect();
            let body = NewCampaign {
                name: form.name.value().trim().to_string(),
                filter: CampaignFilter { status: ReaderStatus::Undecided, prefectures, kinds: vec![] },
            };
            form.problem = None;
            return vec![fx(CampaignEffect::Create(body))];
        }
        Action::Command(Command::Back) => state.campaign.form = None,
        _ => {}
    }
    vec![]
}

/// An answer of the server.
fn replied(state: &mut State, reply: CampaignReply) -> Vec<Effect> {
    match reply {
        CampaignReply::Listed(reply) => {
            let pending = std::mem::take(&mut state.campaign.next_pending);
            state.campaign.list = Loadable::from_reply(reply);
            if state.campaign.selected.is_none() {
                state.campaign.selected = state.campaign.chosen().map(|c| c.id);
            }
            let mut out = Vec::new();
            let showing = state.screen == Screen::Dashboard && state.dashboard.tab == DashboardTab::Campaign;
            if showing
                && state.campaign.progress.get().is_none()
                && let Some(id) = state.campaign.selected
            {
                out.push(fx(CampaignEffect::Progress { id }));
            }
            if pending {
                state.campaign.busy = false;
                if state.campaign.chosen().is_some() {
                    out.extend(next(state));
                } else {
                    state.message = Some((
                        Level::Warn,
                        "架電キャンペーンがありません。監督者が作成すると「次へ」で架電できます".into(),
                    ));
                }
            }
            out
        }
        CampaignReply::Leased(reply) => {
            state.campaign.busy = false;
            let leased = match reply {
                Ok(l) => l,
                Err(e) => {
                    state.message = Some((Level::Warn, e.to_string()));
                    return vec![];
                }
            };
            let m = &leased.member;
            let close = state.key_name(Command::CloseCall);
            let change = state.key_name_in(Context::Institution, Command::Change);
            state.message = Some((
                Level::Info,
                format!(
                    "架電: {}（{}）登録電話番号 {} へおかけください。変更は {change}、終われば {close} で結果を記録",
                    m.name,
                    m.prefecture,
                    m.phone.as_deref().unwrap_or("（未登録）")
                ),
            ));
            let code = m.code.clone();
            state.calls.note = TextField::new(&leased.call.note);
            state.calls.current = Some(leased.call.clone());
            state.calls.wrap_up = None;
            state.campaign.current = Some(leased);
            let message = state.message.clone();
            let mut out = super::lookup::open_institution(state, code);
            state.message = message;
            out.push(Effect::LoadCalls);
            out
        }
        CampaignReply::Recorded(reply) => {
            state.campaign.busy = false;
            match reply {
                Ok(r) => {
                    state.campaign.picker = None;
                    state.campaign.current = None;
                    state.calls.current = None;
                    state.calls.wrap_up = None;
                    state.calls.note = TextField::default();
                    let next = state.key_name(Command::CampaignNext);
                    let outcome = r.member.last_outcome.map(|o| o.label_ja()).unwrap_or("");
                    let mut text =
                        format!("{} を「{outcome}」で記録しました。{next} で次の架電先へ", r.member.name);
                    if let Some(cb) = &r.callback {
                        text.push_str(&format!("（{}）", crate::tui::text::callback_registered(cb)));
                    }
                    state.message = Some((Level::Info, text));
                    let mut out = vec![Effect::LoadCalls];
                    out.extend(load(state));
                    out
                }
                Err(e) => {
                    state.message = Some((Level::Error, format!("結果を記録できませんでした: {e}")));
                    vec![]
                }
            }
        }
        CampaignReply::Progress { id, reply } => {
            if state.campaign.chosen().map(|c| c.id) == Some(id) {
                state.campaign.progress = Loadable::from_reply(reply);
            }
            vec![]
        }
        CampaignReply::Saved(reply) => match reply {
            Ok(c) => {
                state.campaign.form = None;
                state.campaign.selected = Some(c.id);
                state.message = Some((
                    Level::Info,
                    format!(
                        "キャンペーン #{} 「{}」: {}（対象 {} 件）",
                        c.id,
                        c.name,
                        c.state.label_ja(),
                        c.counts.members
                    ),
                ));
                load(state)
            }
            Err(e) => {
                match state.campaign.form.as_mut() {
                    Some(form) => form.problem = Some(e.to_string()),
                    None => state.message = Some((Level::Error, e.to_string())),
                }
                vec![]
            }
        },
    }
}

#[cfg(test)]
mod tests;
