//! Institution screen keys (tabs, scrolling, F4) and its panes' answers; live updates when
//! another operator changes the open institution.

use super::super::action::{Action, Command};
use super::super::effect::Effect;
use super::super::state::{Loadable, State, Tab};

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(inst) = state.institution.as_mut() else {
        super::pop_screen(state);
        return vec![];
    };
    let n = Tab::ALL.len();
    match action {
        Action::Command(Command::Next) => {
            inst.tab = Tab::ALL[(inst.tab.index() + 1) % n];
            inst.scroll = 0;
        }
        Action::Command(Command::Prev) => {
            inst.tab = Tab::ALL[(inst.tab.index() + n - 1) % n];
            inst.scroll = 0;
        }
        Action::Command(Command::Up) => inst.scroll = inst.scroll.saturating_sub(1),
        Action::Command(Command::Down) => inst.scroll = inst.scroll.saturating_add(1),
        Action::Command(Command::PageUp) => inst.scroll = inst.scroll.saturating_sub(10),
        Action::Command(Command::PageDown) => inst.scroll = inst.scroll.saturating_add(10),
        Action::Command(Command::Change) => return super::dialog::open(state),
        Action::Command(Command::Copy) => {
            let code = inst.code.clone();
            state.last_copied = Some(code.clone());
            return vec![Effect::Copy(code)];
        }
        Action::Command(Command::Refresh) => return reload(state),
        Action::Command(Command::Back) => {
            inst.notice = None;
            super::pop_screen(state);
        }
        _ => {}
    }
    vec![]
}

/// Reloads every pane of the open institution.
pub fn reload(state: &State) -> Vec<Effect> {
    state.institution.as_ref().map(|inst| Effect::load_institution(&inst.code)).unwrap_or_default()
}

/// Stores a pane's answer if it is for the institution still open.
pub fn loaded(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(inst) = state.institution.as_mut() else { return vec![] };
    match action {
        Action::InstitutionLoaded { code, reply } if code == inst.code => {
            inst.detail = Loadable::from_reply(reply)
        }
        Action::SubsidyLoaded { code, reply } if code == inst.code => {
            inst.subsidy = Loadable::from_reply(reply)
        }
        Action::AuditLoaded { code, reply } if code == inst.code => inst.audit = Loadable::from_reply(reply),
        Action::InstitutionCallsLoaded { code, reply } if code == inst.code => {
            inst.calls = Loadable::from_reply(reply)
        }
        _ => {}
    }
    vec![]
}

/// Another operator (or the batch) changed `code`: if it is open, say so and reload.
pub fn changed_elsewhere(
    state: &mut State,
    code: &str,
    version: i64,
    operator: &str,
    receipt_no: Option<&str>,
) -> Vec<Effect> {
    let Some(inst) = state.institution.as_mut() else { return vec![] };
    if inst.code != code {
        return vec![];
    }
    let shown = inst.detail.get().map(|d| d.reader_application.application.version).unwrap_or(0);
    if version <= shown {
        return vec![];
    }
    let ours = state.dialog.as_ref().is_some_and(|d| match &d.stage {
        super::super::state::DialogStage::Receipt(r) => Some(r.receipt_no.as_str()) == receipt_no,
        _ => false,
    });
    if !ours {
        let r = receipt_no.map(|r| format!("（受付番号 {r}）")).unwrap_or_default();
        inst.notice = Some(format!("{operator} さんがこの申込を変更しました{r}。最新の内容を表示しています"));
    }
    reload(state)
}
