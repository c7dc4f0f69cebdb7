//! About the service and the caller: health (institutions in the lookup index and whether
//! lookups can be answered yet) and who a token belongs to, with the business date.

use crate::api::{Health, Me};
use crate::server::auth::Caller;
use crate::server::state::AppState;

/// Liveness and the lookup index's readiness.
pub fn health(state: &AppState) -> Health {
    let lookup = state.lookup_readiness();
    let institutions = state.lookup.read().map(|l| l.len() as u64).unwrap_or(0);
    Health { status: "ok".to_string(), institutions, lookup }
}

/// Who `caller` is, the business date and what the status bar and wrap-up need of the policy.
pub fn me(state: &AppState, caller: Caller) -> Me {
    Me {
        name: caller.name,
        role: caller.role,
        business_date: state.clock.today(),
        date_fixed: state.clock.is_fixed(),
        selection_deadline: state.policy.selection_deadline,
        wrap_up_reasons: state.policy.wrap_up_reason.clone(),
        server_now: Some(state.clock.now()),
    }
}
