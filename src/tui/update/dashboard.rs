//! Dashboard: 機種未定 left by prefecture, days to the deadline, today's changes; the
//! supervisor's deadline batch, dry run first, then confirm. The server decides who may run
//! it (a 403 is shown in its words).

use chrono::NaiveDate;

use crate::api::DeadlineBatchResult;
use crate::domain::CallReport;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{BatchStage, DashboardTab, Loadable, State};

/// Opens the dashboard: its overview, and the call-backs (their count shows on the tab).
pub fn open(state: &mut State) -> Vec<Effect> {
    super::push_screen(state, super::super::state::Screen::Dashboard);
    let mut fx = vec![Effect::LoadDashboard, Effect::LoadCallBacks];
    if state.dashboard.tab == DashboardTab::Report {
        fx.extend(load_report(state));
    }
    if state.dashboard.tab == DashboardTab::Floor {
        fx.push(Effect::LoadFloor);
    }
    fx
}

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
    let n = DashboardTab::ALL.len();
    let tab = state.dashboard.tab;
    let to = match action {
        Action::Command(Command::Next) => Some(DashboardTab::ALL[(tab.index() + 1) % n]),
        Action::Command(Command::Prev) => Some(DashboardTab::ALL[(tab.index() + n - 1) % n]),
        _ => None,
    };
    if let Some(to) = to {
        if state.dashboard.callbacks.closing.is_some() {
            return vec![];
        }
        state.dashboard.tab = to;
        return match to {
            DashboardTab::Overview => vec![Effect::LoadDashboard],
            DashboardTab::CallBacks => vec![Effect::LoadCallBacks],
            DashboardTab::Report => load_report(state),
            DashboardTab::Floor => vec![Effect::LoadFloor],
            DashboardTab::Campaign => super::campaign::load(state),
        };
    }
    match tab {
        DashboardTab::Overview => overview_key(state, action),
        DashboardTab::CallBacks => callbacks_key(state, action),
        DashboardTab::Report => report_key(state, action),
        DashboardTab::Floor => super::floor::tab_key(state, action),
        DashboardTab::Campaign => super::campaign::tab_key(state, action),
    }
}

/// The call-back list: move, take (Enter), record an outcome (the picker), reload.
fn callbacks_key(state: &mut State, action: Action) -> Vec<Effect> {
    if state.dashboard.callbacks.closing.is_some() {
        return super::callbacks::picker_key(state, action);
    }
    let cbs = &mut state.dashboard.callbacks;
    match action {
        Action::Command(Command::Up) => cbs.selected = cbs.selected.saturating_sub(1),
        Action::Command(Command::Down) => {
            let n = cbs.list.get().map(|l| l.len()).unwrap_or(0);
            cbs.selected = (cbs.selected + 1).min(n.saturating_sub(1));
        }
        Action::Command(Command::Confirm) => return super::callbacks::take(state),
        Action::Command(Command::Refresh) => return vec![Effect::LoadCallBacks],
        Action::Command(Command::Back) => super::pop_screen(state),
        _ => {}
    }
    vec![]
}

/// The day a report period is built around at first: the business date (else Japan today).
fn default_anchor(state: &State) -> NaiveDate {
    state.me.get().map(|m| m.business_date).unwrap_or_else(|| super::super::view::jst(state.now).date_naive())
}

/// Asks for the report of the period shown.
fn load_report(state: &mut State) -> Vec<Effect> {
    let anchor = state.dashboard.report.anchor.unwrap_or_else(|| default_anchor(state));
    state.dashboard.report.anchor = Some(anchor);
    let r = &mut state.dashboard.report;
    let (from, to) = r.span.range(anchor);
    r.range = Some((from, to));
    r.data = Loadable::Loading;
    vec![Effect::LoadReport { from, to }]
}

/// The report: PgUp/PgDn move the period, the span key cycles day/week/month, Up/Down scroll
/// the operators.
fn report_key(state: &mut State, action: Action) -> Vec<Effect> {
    let anchor = state.dashboard.report.anchor.unwrap_or_else(|| default_anchor(state));
    state.dashboard.report.anchor = Some(anchor);
    let r = &mut state.dashboard.report;
    match action {
        Action::Command(Command::PageUp) => r.anchor = Some(r.span.step(anchor, -1)),
        Action::Command(Command::PageDown) => r.anchor = Some(r.span.step(anchor, 1)),
        Action::Command(Command::ReportSpan) => r.span = r.span.next(),
        Action::Command(Command::Refresh) => {}
        Action::Command(Command::Up) => {
            r.scroll = r.scroll.saturating_sub(1);
            return vec![];
        }
        Action::Command(Command::Down) => {
            r.scroll = r.scroll.saturating_add(1);
            return vec![];
        }
        Action::Command(Command::Back) => {
            super::pop_screen(state);
            return vec![];
        }
        _ => return vec![],
    }
    r.scroll = 0;
    load_report(state)
}

/// A report arrived; kept only if it is for the period shown now.
pub fn report_loaded(
    state: &mut State,
    from: NaiveDate,
    to: NaiveDate,
    reply: Reply<CallReport>,
) -> Vec<Effect> {
    let r = &mut state.dashboard.report;
    if r.range == Some((from, to)) {
        r.data = Loadable::from_reply(reply);
    }
    vec![]
}

fn overview_key(state: &mut State, action: Action) -> Vec<Effect> {
    let d = &mut state.dashboard;
    match action {
        Action::Command(Command::Up) => d.scroll = d.scroll.saturating_sub(1),
        Action::Command(Command::Down) => d.scroll = d.scroll.saturating_add(1),
        Action::Command(Command::PageUp) => d.scroll = d.scroll.saturating_sub(10),
        Action::Command(Command::PageDown) => d.scroll = d.scroll.saturating_add(10),
        Action::Command(Command::Refresh) => return vec![Effect::LoadDashboard],
        Action::Command(Command::DeadlineBatch) => {
            if matches!(d.batch, BatchStage::DryRunning | BatchStage::Running) {
                return vec![];
            }
            d.batch = BatchStage::DryRunning;
            return vec![Effect::DeadlineBatch { dry_run: true }];
        }
        Action::Command(Command::Confirm) => {
            if let BatchStage::DryRun(_) = d.batch {
                d.batch = BatchStage::Running;
                return vec![Effect::DeadlineBatch { dry_run: false }];
            }
        }
        Action::Command(Command::Back) => {
            if matches!(d.batch, BatchStage::DryRun(_) | BatchStage::Done(_) | BatchStage::Failed(_)) {
                d.batch = BatchStage::Idle;
            } else {
                super::pop_screen(state);
            }
        }
        _ => {}
    }
    vec![]
}

pub fn batch_done(state: &mut State, reply: Reply<DeadlineBatchResult>) -> Vec<Effect> {
    let d = &mut state.dashboard;
    match (&d.batch, reply) {
        (_, Err(e)) => d.batch = BatchStage::Failed(e.to_string()),
        (BatchStage::DryRunning, Ok(r)) => d.batch = BatchStage::DryRun(r),
        (_, Ok(r)) => {
            d.batch = BatchStage::Done(r);
            return vec![Effect::LoadDashboard];
        }
    }
    vec![]
}
