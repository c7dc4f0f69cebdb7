//! Dashboard: 機種未定 left by prefecture, days to the deadline, today's changes; the
//! supervisor's deadline batch, dry run first, then confirm. The server decides who may run
//! it (a 403 is shown in its words).

use crate::api::DeadlineBatchResult;

use super::super::action::{Action, Command, Reply};
use super::super::effect::Effect;
use super::super::state::{BatchStage, State};

pub fn key(state: &mut State, action: Action) -> Vec<Effect> {
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
