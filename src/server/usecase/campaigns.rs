//! 架電キャンペーン: create one from a filter, pause / resume / close it, add members from its
//! own filter, hand the next member to an operator (a lease and an ordinary call), record the
//! outcome in one step, export members, and answer "will we make it?" (the burn-down).
//!
//! Every rule is the domain's (`domain::campaign`): the hours, the order, what follows an
//! outcome, who may record it; the store does it in one transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::ApiError;
use crate::api::campaign::{
    AddedMembers, Campaign, CampaignCounts, CampaignMember, CampaignProgress, CampaignState, LeasedMember,
    MemberWithAttempts, NewCampaign, PrefectureProgress, RecordOutcome, RecordedOutcome,
};
use crate::domain::InstitutionKind;
use crate::domain::campaign::{MemberState, Outcome, after_outcome, burn_down, call_back_due};
use crate::domain::floor::AgentEvent;
use crate::domain::policy::{format_date_ja, japan_today};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::store::{
    CallRule, CampaignRow, CampaignTally, NewCampaignRecord, NextRequest, NextResult, OutcomeCommand,
    RecordedOutcomeRow,
};

/// Longest campaign name.
const NAME_MAX: usize = 100;

fn kind_ranks(state: &AppState) -> Vec<(InstitutionKind, i64)> {
    InstitutionKind::ALL.into_iter().map(|k| (k, state.policy.campaign.kind_rank(k))).collect()
}

/// A prefecture as the institution table names it: `東京都` or `東京`.
fn prefecture_name(text: &str) -> Option<&'static str> {
    let text = text.trim();
    let all = &crate::demo::tables::tables().prefectures;
    all.iter()
        .find(|p| p.name == text)
        .or_else(|| all.iter().find(|p| p.name.strip_suffix(['都', '道', '府', '県']) == Some(text)))
        .map(|p| p.name)
}

/// Creates a campaign of every institution matching the filter now; refused (422) with
/// nothing written for an empty name, an unknown prefecture or a filter matching no one.
pub async fn create(state: &AppState, caller: &Caller, body: &NewCampaign) -> Result<Campaign, ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiError::unprocessable(
            "invalid_campaign",
            format!("キャンペーン名を1〜{NAME_MAX}文字で入れてください（例: 機種未定 東京都 7月）"),
        ));
    }
    let mut filter = body.filter.clone();
    let mut prefectures = Vec::new();
    for p in &filter.prefectures {
        let named = prefecture_name(p).ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_prefecture",
                format!("都道府県「{p}」はありません。「東京都」「北海道」のように指定してください"),
            )
        })?;
        if !prefectures.iter().any(|x: &String| x == named) {
            prefectures.push(named.to_string());
        }
    }
    filter.prefectures = prefectures;
    filter.kinds.sort_by_key(|k| k.as_str());
    filter.kinds.dedup();
    let known: Vec<&str> = filter.prefectures.iter().map(String::as_str).collect();
    filter.check(&known).map_err(|e| ApiError::unprocessable("invalid_filter", e.to_string()))?;
    let record = NewCampaignRecord {
        name: name.to_string(),
        filter,
        created_by: caller.name.clone(),
        at: state.clock.now(),
        kind_ranks: kind_ranks(state),
    };
    let (id, _) = state.store.create_campaign(record).await.map_err(|e| match e {
        crate::store::StoreError::Invalid(msg) => ApiError::unprocessable("empty_campaign", msg),
        other => other.into(),
    })?;
    show(state, id).await
}

/// Every campaign with its counts, newest first.
pub async fn list(state: &AppState) -> Result<Vec<Campaign>, ApiError> {
    let now = state.clock.now();
    let mut out = Vec::new();
    for row in state.store.campaigns().await?.into_iter().rev() {
        let tally = state.store.campaign_tally(row.id, now, false).await?;
        out.push(campaign_view(row, &tally));
    }
    Ok(out)
}

async fn campaign_row(state: &AppState, id: i64) -> Result<CampaignRow, ApiError> {
    state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("キャンペーン {id} はありません")))
}

fn campaign_view(row: CampaignRow, tally: &CampaignTally) -> Campaign {
    let mut counts = CampaignCounts::default();
    for (_, state, n) in &tally.by_prefecture {
        counts.add_many(*state, *n);
    }
    Campaign {
        id: row.id,
        name: row.name,
        filter: row.filter,
        state: row.state,
        created_by: row.created_by,
        created_at: row.created_at,
        closed_at: row.closed_at,
        counts,
    }
}

pub async fn show(state: &AppState, id: i64) -> Result<Campaign, ApiError> {
    let row = campaign_row(state, id).await?;
    let tally = state.store.campaign_tally(id, state.clock.now(), false).await?;
    Ok(campaign_view(row, &tally))
}

/// Pauses, resumes or closes a campaign (supervisors; a closed one stays closed).
pub async fn set_state(
    state: &AppState,
    caller: &Caller,
    id: i64,
    to: CampaignState,
) -> Result<Campaign, ApiError> {
    state.store.set_campaign_state(id, to, &caller.name, state.clock.now()).await?;
    show(state, id).await
}

/// Adds the institutions matching the campaign's own filter now that are not members yet.
pub async fn add_members(state: &AppState, caller: &Caller, id: i64) -> Result<AddedMembers, ApiError> {
    campaign_row(state, id).await?;
    let added =
        state.store.add_campaign_members(id, &kind_ranks(state), &caller.name, state.clock.now()).await?;
    Ok(AddedMembers { added })
}

/// A Japan time as an operator reads it: 「7月12日（月）9:00」.
fn when_ja(at: DateTime<Utc>) -> String {
    let local = crate::domain::jst::local(at);
    let day = format_date_ja(local.date());
    let day = day.split_once('年').map_or(day.as_str(), |(_, rest)| rest).to_string();
    format!("{day}{}", local.format("%-H:%M"))
}

/// Hands the caller the next member: callable now, never tried before tried, fewest attempts,
/// then the policy's order of kinds; leased to them and a call started on its institution.
/// Refused (409) outside the callable hours, saying when the next window opens.
///
/// The campaign is read once, in the batch's transaction (its state, kinds and name): a Next
/// costs no read of its own before or after it.
pub async fn next(state: &AppState, caller: &Caller, id: i64) -> Result<LeasedMember, ApiError> {
    let now = state.clock.now();
    let policy = &state.policy.campaign;
    let lease_until = now + chrono::Duration::minutes(i64::from(policy.lease_minutes));
    let req = NextRequest {
        campaign_id: id,
        operator: caller.name.clone(),
        now,
        lease_until,
        kinds: policy.callable_kinds(now),
        started: Some(floor_rule(state, |call_id| AgentEvent::CallStarted { call_id })),
    };
    let answer = state.campaign_next.ask(&state.store, req).await.map_err(|e| match e {
        crate::store::StoreError::NotFound(_) => {
            ApiError::NotFound(format!("キャンペーン {id} はありません"))
        }
        other => other.into(),
    })?;
    match answer {
        NextResult::Leased(leased, floor, campaign) => {
            if let Some(change) = floor.filter(|c| c.changed) {
                let agent = super::floor::on_campaign_call(&caller.name, change.after, &leased, campaign);
                super::floor::announce_agent_as(state, &caller.name, agent).await;
            }
            Ok(*leased)
        }
        NextResult::OutsideHours { wanted } => {
            let opens = policy.next_window_opens(&wanted, now);
            Err(ApiError::Refused(match opens {
                Some(t) => format!("いまは架電可能時間外です。次に架電できるのは {} からです。", when_ja(t)),
                None => "架電可能時間がポリシーにありません。監督者に確認してください。".to_string(),
            }))
        }
        NextResult::NoneDue { next_try_at: Some(t) } => Err(ApiError::Refused(format!(
            "いま架電できる対象はありません（確保中・時間外を除く）。次の再架電予定は {} です。",
            when_ja(t)
        ))),
        NextResult::NoneDue { next_try_at: None } => Err(ApiError::Refused(
            "このキャンペーンに残っている対象はありません（ほかの人が確保中のものを除く）。".to_string(),
        )),
    }
}

/// The floor's state machine for a campaign call that started or closed (`event` of its id),
/// run by the store in the lease's or the outcome's own transaction.
fn floor_rule(state: &AppState, event: fn(i64) -> AgentEvent) -> CallRule {
    let policy = state.policy.floor.clone();
    let at = state.clock.now();
    Box::new(move |call_id| {
        let event = event(call_id);
        Box::new(move |cur| crate::domain::floor::transition(cur, &event, at, &policy))
    })
}

/// Group commit for `next` (see [`super::group_commit`]): one read of the free members in
/// order, one insert of the calls, one update of the leases, one append to the audit chain for
/// every request waiting.
pub type NextQueue = super::group_commit::GroupCommit<NextRequest, NextResult>;

/// Group commit for outcomes: one transaction, set-based, for every outcome waiting.
pub type OutcomeQueue = super::group_commit::GroupCommit<OutcomeCommand, RecordedOutcomeRow>;

/// The server's `next` queue.
pub fn next_queue() -> NextQueue {
    NextQueue::new("campaign next", |store, reqs| Box::pin(async move { store.next_members(reqs).await }))
}

/// The server's outcome queue.
pub fn outcome_queue() -> OutcomeQueue {
    OutcomeQueue::new("campaign outcomes", |store, cmds| {
        Box::pin(async move { store.record_outcomes(cmds).await })
    })
}

/// Records how the call of a member ended, in one step: the attempt, the member's next state
/// (done, a retry in the next callable window, exhausted), the call closed; 折り返し予定 also
/// makes a call-back due before the deadline. Only the operator the member was handed to may
/// record it (409 naming them).
pub async fn record_outcome(
    state: &AppState,
    caller: &Caller,
    id: i64,
    member_id: i64,
    body: &RecordOutcome,
) -> Result<RecordedOutcome, ApiError> {
    let now = state.clock.now();
    // 折り返し予定's call-back is made in the outcome's own transaction; its time is checked
    // here, before anything is queued.
    let call_back = match body.outcome {
        Outcome::CallBack => Some(crate::store::OutcomeCallBack {
            due_at: call_back_due(
                now,
                body.call_back_due_at,
                state.policy.callback_due_minutes,
                state.policy.selection_deadline,
            )
            .map_err(|e| ApiError::unprocessable("invalid_call_back", e.to_string()))?,
            reason: "架電キャンペーン: 折り返し予定".to_string(),
        }),
        _ => None,
    };
    let policy = state.policy.campaign.clone();
    let outcome = body.outcome;
    let due = call_back.as_ref().map(|c| c.due_at);
    let cmd = OutcomeCommand {
        campaign_id: id,
        member_id,
        operator: caller.name.clone(),
        outcome,
        receipt_no: body.receipt_no.clone(),
        at: now,
        rule: Box::new(move |kind, attempts| after_outcome(&policy, kind, outcome, attempts, now, due)),
        wrap_up_reason: state.policy.campaign.wrap_up_reason.clone(),
        call_back,
        closed: Some(floor_rule(state, |call_id| AgentEvent::CallClosed { call_id })),
    };
    let recorded = state.campaign_outcomes.ask(&state.store, cmd).await.map_err(|e| match e {
        crate::store::StoreError::Invalid(msg) => ApiError::unprocessable("invalid_outcome", msg),
        crate::store::StoreError::NotFound(_) => {
            ApiError::NotFound(format!("キャンペーン {id} に対象 {member_id} はありません"))
        }
        other => other.into(),
    })?;
    if let Some(change) = recorded.floor.filter(|c| c.changed) {
        let agent = super::floor::on_call(&caller.name, change.after, recorded.call);
        super::floor::announce_agent_as(state, &caller.name, agent).await;
    }
    Ok(RecordedOutcome { member: recorded.member, callback: recorded.callback })
}

/// Ends every lease of `operator` at once (their console's event stream closed).
pub async fn release_leases(state: &AppState, operator: &str) -> Result<u64, ApiError> {
    Ok(state.store.release_leases(operator, state.clock.now()).await?)
}

/// Members (optionally in one state) with their attempts.
pub async fn members(
    state: &AppState,
    id: i64,
    only: Option<MemberState>,
) -> Result<Vec<MemberWithAttempts>, ApiError> {
    campaign_row(state, id).await?;
    let rows = state.store.campaign_members(id, state.clock.now()).await?;
    let mut attempts: HashMap<i64, Vec<_>> = HashMap::new();
    for a in state.store.campaign_attempts(id).await? {
        attempts.entry(a.member_id).or_default().push(a);
    }
    Ok(rows
        .into_iter()
        .filter(|r| only.is_none_or(|s| r.member.state == s))
        .map(|r| {
            let list = attempts.remove(&r.member.id).unwrap_or_default();
            MemberWithAttempts { member: r.member, attempts_list: list }
        })
        .collect())
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The members export: one row per attempt (a member never tried has one row without one).
pub fn members_csv(members: &[MemberWithAttempts]) -> String {
    let mut out = String::from(
        "member_id,code,name,kind,prefecture,phone,state,application_status,attempts,attempt_at,operator,outcome,receipt_no,handle_seconds\n",
    );
    for m in members {
        let x = &m.member;
        let head = [
            x.id.to_string(),
            x.code.clone(),
            csv_field(&x.name),
            x.kind.as_str().to_string(),
            csv_field(&x.prefecture),
            x.phone.clone().unwrap_or_default(),
            x.state.label_ja().to_string(),
            x.application_status.as_str().to_string(),
            x.attempts.to_string(),
        ]
        .join(",");
        if m.attempts_list.is_empty() {
            out.push_str(&format!("{head},,,,,\n"));
        }
        for a in &m.attempts_list {
            out.push_str(&format!(
                "{head},{},{},{},{},{}\n",
                a.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                csv_field(&a.operator),
                a.outcome.label_ja(),
                a.receipt_no.clone().unwrap_or_default(),
                a.handle_seconds.map(|s| s.to_string()).unwrap_or_default(),
            ));
        }
    }
    out
}

/// Will we make it? The burn-down to today with the pace and projected zero beside the
/// deadline, by prefecture and by operator, and the exhausted members.
pub async fn progress(state: &AppState, id: i64) -> Result<CampaignProgress, ApiError> {
    let row = campaign_row(state, id).await?;
    let now = state.clock.now();
    let today = japan_today(now);
    // Three independent reads, side by side on the reader connections.
    let reached: Vec<Outcome> = Outcome::ALL.into_iter().filter(|o| o.reached()).collect();
    let (tally, by_operator, exhausted) = tokio::try_join!(
        state.store.campaign_tally(id, now, true),
        state.store.campaign_operator_progress(id, &reached),
        state.store.exhausted_members(id, now),
    )?;
    // One day per member (the groups are counts of members).
    let (mut added, mut done) = (Vec::new(), Vec::new());
    for g in &tally.by_time {
        let n = usize::try_from(g.members).unwrap_or(usize::MAX);
        added.extend(std::iter::repeat_n(japan_today(g.added_at), n));
        if let Some(finished) = g.finished_at {
            done.extend(std::iter::repeat_n(japan_today(finished), n));
        }
    }
    let start = japan_today(row.created_at);
    let burn = burn_down(
        start,
        today,
        state.policy.selection_deadline,
        state.policy.campaign.pace_days,
        &added,
        &done,
    );
    let mut prefectures: BTreeMap<&str, PrefectureProgress> = BTreeMap::new();
    for (prefecture, member_state, n) in &tally.by_prefecture {
        let p = prefectures.entry(prefecture.as_str()).or_insert_with(|| PrefectureProgress {
            prefecture: prefecture.clone(),
            members: 0,
            left: 0,
            done: 0,
        });
        p.members += n;
        if member_state.is_open() {
            p.left += n;
        } else {
            p.done += n;
        }
    }
    let mut by_prefecture: Vec<PrefectureProgress> = prefectures.into_values().collect();
    by_prefecture.sort_by(|a, b| b.left.cmp(&a.left).then_with(|| a.prefecture.cmp(&b.prefecture)));
    let exhausted: Vec<CampaignMember> = exhausted.into_iter().map(|m| m.member).collect();
    let campaign = campaign_view(row, &tally);
    Ok(CampaignProgress { campaign, today, burn_down: burn, by_prefecture, by_operator, exhausted })
}

/// Held by an operator's `/v1/events` stream: when the stream ends (the console quit, the SSH
/// session dropped), the operator's leases end at once instead of waiting for the policy's
/// lease time, so their members go back to the others.
pub struct LeaseGuard {
    state: AppState,
    operator: String,
}

impl LeaseGuard {
    pub fn new(state: AppState, operator: String) -> LeaseGuard {
        LeaseGuard { state, operator }
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (state, operator) = (self.state.clone(), std::mem::take(&mut self.operator));
        runtime.spawn(async move {
            if let Err(e) = release_leases(&state, &operator).await {
                tracing::warn!(%operator, error = %e, "releasing the leases of a closed console failed");
            }
        });
    }
}
