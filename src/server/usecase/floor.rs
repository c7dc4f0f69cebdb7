//! The floor (live): operators' states as work happens (a call started or closed moves them;
//! their own keys make them 受付可 or 離席), the supervisors' floor view, raised hands (挙手),
//! watches (モニター) and each operator's day in numbers. Every change is one small event on
//! the event stream, through the store's channel so that every server's consoles hear it.

use chrono::{DateTime, Utc};

use super::ApiError;
use crate::api::{Floor, FloorAgent, FloorTotals, MyFloor, ServerEvent, SetAgentState, WatchStarted};
use crate::domain::floor::{
    self, AgentDay, AgentEvent, AgentState, HandRaise, StateChange, Transition, after_call_expired, hand_note,
};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::store::AgentChange;

/// Runs the state machine for `operator` and tells everyone when it moved.
pub async fn apply(state: &AppState, operator: &str, event: AgentEvent) -> Result<AgentChange, ApiError> {
    let policy = state.policy.floor.clone();
    let at = state.clock.now();
    let rule = Box::new(move |cur: Option<&floor::AgentStatus>| floor::transition(cur, &event, at, &policy));
    let change = state.store.change_agent_state(operator, at, rule).await?;
    if change.changed {
        announce_agent(state, operator).await;
    }
    Ok(change)
}

/// Tells every server's consoles where `operator` stands now.
pub(crate) async fn announce_agent(state: &AppState, operator: &str) {
    match state.store.floor_agent(operator).await {
        Ok(agent) => {
            state.announce(ServerEvent::AgentState { operator: operator.to_string(), agent }).await;
        }
        Err(e) => tracing::warn!("reading {operator}'s floor state to announce it failed: {e}"),
    }
}

/// Tells every server's consoles where `operator` stands now, from what the caller already
/// knows (no read): `agent` is what [`crate::store::Store::floor_agent`] would answer.
pub(crate) async fn announce_agent_as(state: &AppState, operator: &str, agent: Option<FloorAgent>) {
    state.announce(ServerEvent::AgentState { operator: operator.to_string(), agent }).await;
}

/// The floor's view of an operator from what the caller already knows (no read): their state
/// after a change (`None`: signed out), and `call` while that state names it — what
/// [`crate::store::Store::floor_agent`] would answer.
pub(crate) fn on_call(
    operator: &str,
    after: Option<floor::AgentStatus>,
    call: Option<crate::api::FloorCall>,
) -> Option<FloorAgent> {
    let status = after?;
    let call = call.filter(|c| status.call_id == Some(c.id));
    Some(FloorAgent {
        operator: operator.to_string(),
        status,
        call,
        attention: None,
        console_here: false,
        watched_by: None,
    })
}

/// [`on_call`] for a campaign call that has just started (its institution and campaign).
pub(crate) fn on_campaign_call(
    operator: &str,
    after: Option<floor::AgentStatus>,
    leased: &crate::api::campaign::LeasedMember,
    campaign: String,
) -> Option<FloorAgent> {
    let call = crate::api::FloorCall {
        id: leased.call.id,
        started_at: leased.call.started_at,
        code: leased.call.code.clone(),
        name: Some(leased.member.name.clone()).filter(|n| !n.is_empty()),
        campaign: Some(campaign),
    };
    on_call(operator, after, Some(call))
}

/// A call started or closed moves its operator's state. The call itself is done whatever
/// happens here: a failure is logged, never the call's error.
pub async fn follow_call(state: &AppState, operator: &str, event: AgentEvent) {
    if let Err(e) = apply(state, operator, event).await {
        tracing::warn!("updating {operator}'s floor state after a call failed: {e}");
    }
}

/// What an operator asks for with their own keys (or their console opening and closing).
pub async fn set_mine(state: &AppState, caller: &Caller, to: &SetAgentState) -> Result<MyFloor, ApiError> {
    let event = match to {
        SetAgentState::SignIn => AgentEvent::SignIn,
        SetAgentState::SignOut => AgentEvent::SignOut,
        SetAgentState::Available => AgentEvent::Available,
        SetAgentState::Away { reason } => AgentEvent::Away { reason: reason.clone() },
    };
    apply(state, &caller.name, event).await?;
    mine(state, caller).await
}

/// The caller's own state, latest hand and watcher.
pub async fn mine(state: &AppState, caller: &Caller) -> Result<MyFloor, ApiError> {
    let status = state.store.floor_agent(&caller.name).await?.map(|a| a.status);
    let hand = state.store.latest_hand(&caller.name).await?;
    Ok(MyFloor {
        status,
        hand,
        watched_by: state.watches.watcher_of(&caller.name),
        away_reasons: state.policy.floor.away_reason.clone(),
        after_call_max_seconds: state.policy.floor.after_call_max_seconds,
    })
}

/// Completes a row for this server at `now`: what stands out, whether its console is drawn
/// here, who watches it.
pub fn decorate(state: &AppState, agent: &mut FloorAgent, now: DateTime<Utc>, here: &[String]) {
    agent.attention = floor::attention(&agent.status, now, &state.policy.floor);
    agent.console_here = here.iter().any(|o| o == &agent.operator);
    agent.watched_by = state.watches.watcher_of(&agent.operator);
}

/// The floor view (supervisors): totals, the longest call, raised hands, every signed-in
/// operator (on a call longest first, then after-call, available, away).
pub async fn floor_view(state: &AppState) -> Result<Floor, ApiError> {
    let now = state.clock.now();
    let here: Vec<String> = state.ssh_sessions().into_iter().map(|s| s.operator).collect();
    let mut agents = state.store.floor_agents().await?;
    for a in &mut agents {
        decorate(state, a, now, &here);
    }
    agents.sort_by(|a, b| {
        let rank = |s: AgentState| AgentState::ALL.iter().position(|x| *x == s).unwrap_or(0);
        // Order: on a call, after-call, available, away; longest in state first.
        let order = |s: AgentState| match s {
            AgentState::OnCall => 0,
            AgentState::AfterCall => 1,
            other => 1 + rank(other),
        };
        order(a.status.state)
            .cmp(&order(b.status.state))
            .then(a.status.since.cmp(&b.status.since))
            .then_with(|| a.operator.cmp(&b.operator))
    });
    let longest_call_seconds = agents
        .iter()
        .filter(|a| a.status.state == AgentState::OnCall)
        .map(|a| (now - a.call.as_ref().map(|c| c.started_at).unwrap_or(a.status.since)).num_seconds())
        .max();
    Ok(Floor {
        now,
        totals: FloorTotals::of(&agents),
        longest_call_seconds,
        hands: state.store.open_hands().await?,
        agents,
        long_call_minutes: state.policy.floor.long_call_minutes,
        after_call_limit_seconds: state.policy.floor.after_call_limit_seconds,
        away_reasons: state.policy.floor.away_reason.clone(),
    })
}

/// Raises the caller's hand with a short note (a hand already up gets the new note).
pub async fn raise_hand(state: &AppState, caller: &Caller, note: &str) -> Result<HandRaise, ApiError> {
    let note = hand_note(note).map_err(|e| ApiError::unprocessable("invalid_note", e.to_string()))?;
    let hand = state.store.raise_hand(&caller.name, &note, state.clock.now()).await?;
    state.announce(ServerEvent::Hand { hand: hand.clone(), open: true }).await;
    Ok(hand)
}

/// Lowers the caller's hand, if one is up.
pub async fn lower_hand(state: &AppState, caller: &Caller) -> Result<Option<HandRaise>, ApiError> {
    let hand = state.store.lower_hand(&caller.name, state.clock.now()).await?;
    if let Some(h) = &hand {
        state.announce(ServerEvent::Hand { hand: h.clone(), open: false }).await;
    }
    Ok(hand)
}

/// A supervisor has seen a raised hand: it leaves the top of the floor view and the operator's
/// status bar says who saw it.
pub async fn acknowledge_hand(state: &AppState, caller: &Caller, id: i64) -> Result<HandRaise, ApiError> {
    let hand =
        state.store.acknowledge_hand(id, &caller.name, state.clock.now()).await.map_err(|e| match e {
            crate::store::StoreError::NotFound(_) => ApiError::NotFound(format!("挙手 #{id} はありません")),
            other => other.into(),
        })?;
    state.announce(ServerEvent::Hand { hand: hand.clone(), open: false }).await;
    Ok(hand)
}

/// Begins a watch of `operator`'s console by the calling supervisor: refused when the operator
/// is not signed in (404) or their console is not drawn by this server (409, saying so).
/// Audited (who, whom, from); the operator's consoles are told.
pub async fn start_watch(
    state: &AppState,
    caller: &Caller,
    operator: &str,
) -> Result<WatchStarted, ApiError> {
    super::text::bounded("operator", "オペレーター名", operator, super::text::NAME_MAX_CHARS)?;
    let operator = operator.trim();
    if operator == caller.name {
        return Err(ApiError::Refused("自分の画面はモニターできません".to_string()));
    }
    if state.store.floor_agent(operator).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "{operator} さんはサインインしていません。モニターできるのはサインイン中のオペレーターだけです"
        )));
    }
    if !state.ssh_sessions().iter().any(|s| s.operator == operator) {
        return Err(ApiError::Refused(format!(
            "{operator} さんの画面はこのサーバーが描いていません（踏み台サーバーの端末など）。モニターできるのは、このサーバーの SSH で接続している画面だけです"
        )));
    }
    let from = state.clock.now();
    let w = state.watches.begin(operator, &caller.name, from);
    let detail = serde_json::json!({ "watch_id": w.id, "operator": operator, "from": from });
    if let Err(e) = state.store.record_event(&caller.name, "floor.watch_start", None, detail, from).await {
        state.watches.end(w.id);
        return Err(e.into());
    }
    state
        .announce(ServerEvent::Watch {
            operator: operator.to_string(),
            supervisor: caller.name.clone(),
            watching: true,
        })
        .await;
    Ok(WatchStarted { id: w.id, operator: operator.to_string(), supervisor: caller.name.clone(), from })
}

/// Ends a watch (the supervisor left, or the operator's console closed): audited with who,
/// whom, from and to. Only the supervisor who began it may end it (403); an ended watch 404.
pub async fn end_watch(state: &AppState, caller: &Caller, id: u64) -> Result<(), ApiError> {
    let Some(w) = state.watches.get(id) else {
        return Err(ApiError::NotFound(format!("モニター #{id} は終了しています")));
    };
    if w.supervisor != caller.name {
        return Err(ApiError::Forbidden(format!("モニター #{id} は {} さんのものです", w.supervisor)));
    }
    finish_watch(state, id).await
}

/// Ends a watch whoever asks (the SSH door, when the supervisor's session closes).
pub async fn finish_watch(state: &AppState, id: u64) -> Result<(), ApiError> {
    let Some(w) = state.watches.end(id) else { return Ok(()) };
    let to = state.clock.now();
    let detail = serde_json::json!({ "watch_id": w.id, "operator": w.operator, "from": w.from, "to": to });
    state.store.record_event(&w.supervisor, "floor.watch", None, detail, to).await?;
    state
        .announce(ServerEvent::Watch { operator: w.operator, supervisor: w.supervisor, watching: false })
        .await;
    Ok(())
}

/// Ends after-call work that has run its policy time (受付可 from the moment it ran out), for
/// every operator on the database; run every second by [`watch_after_call`]. Each change is a
/// compare-and-set inside its transaction, so servers doing it at once change a row once.
pub async fn expire_after_call(state: &AppState) -> Result<(), ApiError> {
    let now = state.clock.now();
    let policy = state.policy.floor.clone();
    let max = chrono::Duration::seconds(i64::from(policy.after_call_max_seconds));
    let due: Vec<String> = state
        .store
        .after_call_since()
        .await?
        .into_iter()
        .filter(|(_, since)| *since + max <= now)
        .map(|(operator, _)| operator)
        .collect();
    for operator in due {
        let p = policy.clone();
        let rule = Box::new(move |cur: Option<&floor::AgentStatus>| {
            Ok(match cur.and_then(|c| after_call_expired(c, now, &p)) {
                Some(next) => Transition::To(Some(next)),
                None => Transition::Unchanged,
            })
        });
        if state.store.change_agent_state(&operator, now, rule).await?.changed {
            announce_agent(state, &operator).await;
        }
    }
    Ok(())
}

/// Runs [`expire_after_call`] every second until shutdown.
pub fn watch_after_call(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = state.shutdown_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = expire_after_call(&state).await {
                tracing::debug!("ending after-call work past its time failed: {e}");
            }
        }
    });
}

/// Each operator's day in numbers over `[from, until)` (until is capped at now), by name.
pub async fn agent_days(
    state: &AppState,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<AgentDay>, ApiError> {
    let until = until.min(state.clock.now()).max(from);
    let log = state.store.state_log(from, until).await?;
    let mut days = Vec::new();
    let mut i = 0;
    while i < log.len() {
        let operator = log[i].0.clone();
        let mut changes: Vec<StateChange> = Vec::new();
        while i < log.len() && log[i].0 == operator {
            changes.push(log[i].1.clone());
            i += 1;
        }
        let (before, inside): (Vec<StateChange>, Vec<StateChange>) =
            changes.into_iter().partition(|c| c.at < from);
        // Someone signed out all through the period has no day in it.
        if inside.is_empty() && before.last().is_none_or(|b| b.state.is_none()) {
            continue;
        }
        days.push(floor::day_totals(&operator, before.last(), &inside, from, until, &state.policy.floor));
    }
    days.sort_by(|a, b| {
        b.signed_in_seconds.cmp(&a.signed_in_seconds).then_with(|| a.operator.cmp(&b.operator))
    });
    Ok(days)
}
