//! About the service and the caller: health (institutions in the lookup index and whether
//! lookups can be answered yet) and who a token belongs to, with the business date.

use crate::api::{Health, LookupReadiness, Me, Readiness};
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// Liveness and the lookup index's readiness.
pub fn health(state: &AppState) -> Health {
    let lookup = state.lookup_readiness();
    let institutions = state.lookup.read().map(|l| l.len() as u64).unwrap_or(0);
    Health { status: "ok".to_string(), institutions, lookup }
}

/// How long `/readyz` waits for the database before calling it unreachable.
const DATABASE_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether a load balancer should send this server work: it is not draining (stopping), the
/// lookup index is ready and the database answers a cheap query (the operators' generation,
/// which every server polls anyway) within [`DATABASE_CHECK`]. `Err` carries the reason, in
/// the operator's words.
pub async fn readiness(state: &AppState) -> Result<Readiness, ApiError> {
    if state.draining() {
        return Err(ApiError::Draining);
    }
    let lookup = state.lookup_readiness();
    if lookup != LookupReadiness::Ready {
        let why = match lookup {
            LookupReadiness::Failed => "検索索引を作れませんでした（ログを見てください）",
            _ => "検索索引を読み込み中です",
        };
        return Err(ApiError::Unavailable(why.to_string()));
    }
    let started = std::time::Instant::now();
    match tokio::time::timeout(DATABASE_CHECK, state.store.operator_generation()).await {
        Ok(Ok(_)) => Ok(Readiness {
            status: "ready".to_string(),
            lookup,
            database_ms: started.elapsed().as_millis() as u64,
        }),
        Ok(Err(e)) => Err(match e.outage() {
            Some(outage) => ApiError::DatabaseAway(outage),
            None => ApiError::Internal(format!("readiness: the database check failed: {e}")),
        }),
        Err(_) => Err(ApiError::DatabaseAway(crate::store::outage::Outage::Unreachable)),
    }
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
