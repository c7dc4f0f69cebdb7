//! `/v1/campaigns`: 架電キャンペーン — supervisors create, pause, resume and close campaigns and
//! add members from their filter; operators take the next member (a lease and a call) and
//! record its outcome; everyone on staff reads the list, the members (JSON or CSV) and the
//! progress (burn-down).

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::api::ErrorBody;
use crate::api::campaign::{
    AddedMembers, Campaign, CampaignProgress, CampaignState, LeasedMember, MemberWithAttempts, MembersParams,
    NewCampaign, RecordOutcome, RecordedOutcome,
};
use crate::server::auth::{Staff, Supervisor};
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::campaigns;

/// Creates a campaign of every institution whose application matches the filter now (default
/// status 機種未定; optionally some prefectures and kinds), skipping those marked 架電不要.
#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns", request_body = NewCampaign,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign with its counts", body = Campaign),
        (status = 400, description = "Bad JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Only supervisors create campaigns", body = ErrorBody),
        (status = 422, description = "No name, an unknown prefecture, a status no call can change, or a filter matching no one (nothing is created)", body = ErrorBody),
    ))]
pub async fn create(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewCampaign>,
) -> Result<AppJson<Campaign>, ApiError> {
    Ok(AppJson(campaigns::create(&state, &caller, &body).await?))
}

/// Every campaign with its counts, newest first.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Campaigns, newest first", body = Vec<Campaign>),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not read campaigns", body = ErrorBody),
    ))]
pub async fn list(
    Staff(_caller): Staff,
    State(state): State<AppState>,
) -> Result<AppJson<Vec<Campaign>>, ApiError> {
    Ok(AppJson(campaigns::list(&state).await?))
}

/// One campaign with its counts.
#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not read campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn show(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Campaign>, ApiError> {
    Ok(AppJson(campaigns::show(&state, id).await?))
}

/// Pauses a campaign: `next` refuses until it is resumed (calls under way finish).
#[utoipa::path(post, path = "/v1/campaigns/{id}/pause", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign, paused", body = Campaign),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Only supervisors pause campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is closed", body = ErrorBody),
    ))]
pub async fn pause(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Campaign>, ApiError> {
    Ok(AppJson(campaigns::set_state(&state, &caller, id, CampaignState::Paused).await?))
}

/// Resumes a paused campaign.
#[utoipa::path(post, path = "/v1/campaigns/{id}/resume", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign, active", body = Campaign),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Only supervisors resume campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is closed", body = ErrorBody),
    ))]
pub async fn resume(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Campaign>, ApiError> {
    Ok(AppJson(campaigns::set_state(&state, &caller, id, CampaignState::Active).await?))
}

/// Closes a campaign for good (its members and attempts stay readable).
#[utoipa::path(post, path = "/v1/campaigns/{id}/close", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign, closed", body = Campaign),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Only supervisors close campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn close(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Campaign>, ApiError> {
    Ok(AppJson(campaigns::set_state(&state, &caller, id, CampaignState::Closed).await?))
}

/// Adds the institutions matching the campaign's own filter now that are not members yet.
#[utoipa::path(post, path = "/v1/campaigns/{id}/members", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many members were added", body = AddedMembers),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Only supervisors add members", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is closed", body = ErrorBody),
    ))]
pub async fn add_members(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<AddedMembers>, ApiError> {
    Ok(AppJson(campaigns::add_members(&state, &caller, id).await?))
}

/// Members with their attempts (optionally one state); `format=csv` answers the export as
/// `text/csv`, one row per attempt.
#[utoipa::path(get, path = "/v1/campaigns/{id}/members", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id"), MembersParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members with their attempts (or, with format=csv, the CSV export)",
            content((Vec<MemberWithAttempts> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Bad id or query", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not read campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn members(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppQuery(p): AppQuery<MembersParams>,
) -> Result<Response, ApiError> {
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest {
                code: "invalid_format",
                message: format!("format は json か csv で指定してください（{other} でした）"),
            });
        }
    };
    let list = campaigns::members(&state, id, p.state).await?;
    if csv {
        Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], campaigns::members_csv(&list)).into_response())
    } else {
        Ok(AppJson(list).into_response())
    }
}

/// The next member for the caller: leased to them (no one else gets it until the lease lapses
/// or their console closes) and an ordinary call started on its institution.
#[utoipa::path(post, path = "/v1/campaigns/{id}/next", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member leased to the caller, with its call", body = LeasedMember),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not take members", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "Outside the callable hours (says when the next window opens), the campaign paused or closed, or no member due now", body = ErrorBody),
    ))]
pub async fn next(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<LeasedMember>, ApiError> {
    Ok(AppJson(campaigns::next(&state, &caller, id).await?))
}

/// Records how the member's call ended, in one step (the call is closed with the campaign's
/// wrap-up reason): 機種選定済 needs this call's 受付番号; 折り返し予定 makes a call-back.
#[utoipa::path(post, path = "/v1/campaigns/{id}/members/{member}/outcome", tag = "campaigns",
    request_body = RecordOutcome,
    params(("id" = i64, Path, description = "Campaign id"), ("member" = i64, Path, description = "Member id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member after the outcome (and the call-back made)", body = RecordedOutcome),
        (status = 400, description = "Bad JSON or id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not record outcomes", body = ErrorBody),
        (status = 404, description = "No such campaign or member", body = ErrorBody),
        (status = 409, description = "The member is leased to someone else (named), or its outcome is recorded already", body = ErrorBody),
        (status = 422, description = "機種選定済 without this call's 受付番号, a call-back after the deadline, or JSON of the wrong shape", body = ErrorBody),
    ))]
pub async fn outcome(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath((id, member)): AppPath<(i64, i64)>,
    AppJson(body): AppJson<RecordOutcome>,
) -> Result<AppJson<RecordedOutcome>, ApiError> {
    Ok(AppJson(campaigns::record_outcome(&state, &caller, id, member, &body).await?))
}

/// Will we make it? Members left per day to today, the pace of the last days and the day it
/// reaches zero beside the deadline; by prefecture and by operator; the exhausted members.
#[utoipa::path(get, path = "/v1/campaigns/{id}/progress", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The burn-down and the breakdowns", body = CampaignProgress),
        (status = 400, description = "Bad id", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Role may not read campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn progress(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<CampaignProgress>, ApiError> {
    Ok(AppJson(campaigns::progress(&state, id).await?))
}

/// The campaign routes, merged into the API's router in one line.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/v1/campaigns", post(create).get(list))
        .route("/v1/campaigns/{id}", get(show))
        .route("/v1/campaigns/{id}/pause", post(pause))
        .route("/v1/campaigns/{id}/resume", post(resume))
        .route("/v1/campaigns/{id}/close", post(close))
        .route("/v1/campaigns/{id}/members", post(add_members).get(members))
        .route("/v1/campaigns/{id}/next", post(next))
        .route("/v1/campaigns/{id}/members/{member}/outcome", post(outcome))
        .route("/v1/campaigns/{id}/progress", get(progress))
}
