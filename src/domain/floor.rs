//! The floor (live): each signed-in operator's state (受付可, 通話中, 後処理, 離席), how it
//! moves as work happens, what stands out to a supervisor (a call or after-call work past the
//! policy's limits), raised hands (挙手), and an operator's day in numbers. Pure rules: the
//! clock is a parameter, the store keeps the states and the log of changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RuleError;

/// 受付可 / 通話中 / 後処理 / 離席: what a signed-in operator is doing. Signed out is the absence
/// of a state (`Option<AgentStatus>` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// 受付可: free to take a call.
    Available,
    /// 通話中: on a call.
    OnCall,
    /// 後処理: wrapping up the last call.
    AfterCall,
    /// 離席: away, with a reason.
    Away,
}

impl AgentState {
    /// Every state, for parsing.
    pub const ALL: [AgentState; 4] =
        [AgentState::Available, AgentState::OnCall, AgentState::AfterCall, AgentState::Away];

    /// The state as the API spells it (`available`, `on_call`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Available => "available",
            AgentState::OnCall => "on_call",
            AgentState::AfterCall => "after_call",
            AgentState::Away => "away",
        }
    }

    /// The state spelled `s` as [`AgentState::as_str`] writes it, if any.
    pub fn parse(s: &str) -> Option<AgentState> {
        AgentState::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The state's name on the console (受付可, 通話中, 後処理, 離席).
    pub fn label_ja(self) -> &'static str {
        match self {
            AgentState::Available => "受付可",
            AgentState::OnCall => "通話中",
            AgentState::AfterCall => "後処理",
            AgentState::Away => "離席",
        }
    }
}

/// A signed-in operator's state and since when (the floor view's time in state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentStatus {
    /// What the operator is doing.
    pub state: AgentState,
    /// The away reason's id (policy `floor.away_reason`), only when `Away`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When this state began.
    pub since: DateTime<Utc>,
    /// The call being taken (`OnCall`) or wrapped up (`AfterCall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<i64>,
    /// When this sign-in began (kept across state changes).
    pub signed_in_at: DateTime<Utc>,
}

/// What happened to an operator, as the state machine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    /// A console opened (or re-opened): 受付可 unless already signed in.
    SignIn,
    /// The operator's last console closed.
    SignOut,
    /// A call started (taken, screen pop, call-back): 通話中, signing in if need be.
    CallStarted {
        /// The call taken.
        call_id: i64,
    },
    /// A call was closed: 後処理 (if that call was the one being taken).
    CallClosed {
        /// The call closed.
        call_id: i64,
    },
    /// The operator's key: 受付可 now (ends after-call work or an absence early).
    Available,
    /// The operator's key: 離席 with a reason from the policy list.
    Away {
        /// An away reason id from the policy's list.
        reason: String,
    },
}

/// One of the policy's away reasons (離席理由). Stored by `id`; `label` is what people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwayReason {
    /// Stable id (`break`, `training`, ...), as stored in the state log.
    pub id: String,
    /// What people read (休憩, 研修, ...).
    pub label: String,
}

/// The floor's numbers (`[floor]` in the policy file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorPolicy {
    /// A call longer than this stands out on the floor view (minutes).
    #[serde(default = "default_long_call_minutes")]
    pub long_call_minutes: u32,
    /// After-call work longer than this stands out on the floor view (seconds): the target.
    #[serde(default = "default_after_call_limit_seconds")]
    pub after_call_limit_seconds: u32,
    /// After-call work ends by itself after this long (seconds): the operator is 受付可 again.
    #[serde(default = "default_after_call_max_seconds")]
    pub after_call_max_seconds: u32,
    /// 離席 reasons, in the order the console numbers them.
    #[serde(default = "default_away_reasons")]
    pub away_reason: Vec<AwayReason>,
}

fn default_long_call_minutes() -> u32 {
    15
}
fn default_after_call_limit_seconds() -> u32 {
    120
}
fn default_after_call_max_seconds() -> u32 {
    300
}
fn default_away_reasons() -> Vec<AwayReason> {
    [("break", "休憩"), ("training", "研修"), ("meeting", "打合せ"), ("other", "その他")]
        .into_iter()
        .map(|(id, label)| AwayReason { id: id.into(), label: label.into() })
        .collect()
}

impl Default for FloorPolicy {
    fn default() -> FloorPolicy {
        FloorPolicy {
            long_call_minutes: default_long_call_minutes(),
            after_call_limit_seconds: default_after_call_limit_seconds(),
            after_call_max_seconds: default_after_call_max_seconds(),
            away_reason: default_away_reasons(),
        }
    }
}

/// Most away reasons a policy may list: the console picks them with the digits 2–9 (1 is 受付可).
pub const MAX_AWAY_REASONS: usize = 8;

impl FloorPolicy {
    /// Checks what TOML types cannot: `(key, message)` of the first problem.
    pub fn check(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: &str| Err((format!("floor.{k}"), m.to_string()));
        if self.long_call_minutes == 0 || self.long_call_minutes > 24 * 60 {
            return bad("long_call_minutes", "1〜1440（分）にしてください");
        }
        if self.after_call_max_seconds == 0 || self.after_call_max_seconds > 24 * 3600 {
            return bad("after_call_max_seconds", "1〜86400（秒）にしてください");
        }
        if self.after_call_limit_seconds == 0 || self.after_call_limit_seconds > self.after_call_max_seconds {
            return bad("after_call_limit_seconds", "1 以上、after_call_max_seconds 以下にしてください");
        }
        if self.away_reason.is_empty() || self.away_reason.len() > MAX_AWAY_REASONS {
            return bad(
                "away_reason",
                "離席理由は1〜8個にしてください（コンソールで数字キー2〜9で選ぶため）",
            );
        }
        for (i, r) in self.away_reason.iter().enumerate() {
            let id_ok = !r.id.is_empty()
                && r.id.len() <= 32
                && r.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                return bad(
                    &format!("away_reason[{i}].id"),
                    "英小文字・数字・_ で32文字までにしてください（例: break）",
                );
            }
            if self.away_reason[..i].iter().any(|p| p.id == r.id) {
                return bad(
                    &format!("away_reason[{i}].id"),
                    "同じ id が2回あります。id は一意にしてください",
                );
            }
            if r.label.trim().is_empty() {
                return bad(&format!("away_reason[{i}].label"), "表示名を書いてください（例: 休憩）");
            }
        }
        Ok(())
    }

    /// The label of an away reason id (an id no longer in the policy shows as itself).
    pub fn away_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.away_reason.iter().find(|r| r.id == id).map(|r| r.label.as_str()).unwrap_or(id)
    }
}

/// Where a state change leads: nothing to record, or the new status (`None`: signed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Nothing to record.
    Unchanged,
    /// The new status (`None`: signed out).
    To(Option<AgentStatus>),
}

/// The state machine: what `event` at `at` does to an operator whose status is `current`
/// (`None`: signed out). Refused (in the operator's words) when the operator asks for 受付可 or
/// 離席 during a call, or names an away reason not in the policy.
pub fn transition(
    current: Option<&AgentStatus>,
    event: &AgentEvent,
    at: DateTime<Utc>,
    policy: &FloorPolicy,
) -> Result<Transition, RuleError> {
    let signed_in_at = current.map(|c| c.signed_in_at).unwrap_or(at);
    let to = |state: AgentState, reason: Option<String>, call_id: Option<i64>| {
        Ok(Transition::To(Some(AgentStatus { state, reason, since: at, call_id, signed_in_at })))
    };
    let state = current.map(|c| c.state);
    match event {
        AgentEvent::SignIn => match current {
            Some(_) => Ok(Transition::Unchanged),
            None => to(AgentState::Available, None, None),
        },
        AgentEvent::SignOut => match current {
            None => Ok(Transition::Unchanged),
            Some(_) => Ok(Transition::To(None)),
        },
        AgentEvent::CallStarted { call_id } => {
            if state == Some(AgentState::OnCall) && current.and_then(|c| c.call_id) == Some(*call_id) {
                return Ok(Transition::Unchanged);
            }
            to(AgentState::OnCall, None, Some(*call_id))
        }
        AgentEvent::CallClosed { call_id } => match current {
            // Only the call being taken moves the operator on; closing an older record
            // (a supervisor's correction, a call left open) changes nothing.
            Some(c) if c.state == AgentState::OnCall && c.call_id.is_none_or(|id| id == *call_id) => {
                to(AgentState::AfterCall, None, Some(*call_id))
            }
            _ => Ok(Transition::Unchanged),
        },
        AgentEvent::Available => match state {
            Some(AgentState::OnCall) => {
                Err(RuleError::Refused("通話中は受付可にできません。先に応対を終了してください。".into()))
            }
            Some(AgentState::Available) => Ok(Transition::Unchanged),
            _ => to(AgentState::Available, None, None),
        },
        AgentEvent::Away { reason } => {
            if !policy.away_reason.iter().any(|r| &r.id == reason) {
                return Err(RuleError::Refused(format!(
                    "離席理由「{reason}」はポリシーの一覧にありません。一覧から選んでください（{}）。",
                    policy.away_reason.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join("、")
                )));
            }
            match current {
                Some(c) if c.state == AgentState::OnCall => {
                    Err(RuleError::Refused("通話中は離席にできません。先に応対を終了してください。".into()))
                }
                Some(c) if c.state == AgentState::Away && c.reason.as_deref() == Some(reason) => {
                    Ok(Transition::Unchanged)
                }
                _ => to(AgentState::Away, Some(reason.clone()), None),
            }
        }
    }
}

/// After-call work that has run its policy time ends by itself: the status it becomes (受付可
/// from the instant the time ran out), or `None` when it has not run out.
pub fn after_call_expired(
    status: &AgentStatus,
    now: DateTime<Utc>,
    policy: &FloorPolicy,
) -> Option<AgentStatus> {
    if status.state != AgentState::AfterCall {
        return None;
    }
    let end = status.since + Duration::seconds(i64::from(policy.after_call_max_seconds));
    (now >= end).then_some(AgentStatus {
        state: AgentState::Available,
        reason: None,
        since: end,
        call_id: None,
        signed_in_at: status.signed_in_at,
    })
}

/// What makes an operator stand out on the floor view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// On a call longer than `long_call_minutes`.
    LongCall,
    /// In after-call work longer than `after_call_limit_seconds`.
    LongAfterCall,
}

/// Whether `status` stands out at `now` (past the policy's limits).
pub fn attention(status: &AgentStatus, now: DateTime<Utc>, policy: &FloorPolicy) -> Option<Attention> {
    let secs = (now - status.since).num_seconds();
    match status.state {
        AgentState::OnCall if secs > i64::from(policy.long_call_minutes) * 60 => Some(Attention::LongCall),
        AgentState::AfterCall if secs > i64::from(policy.after_call_limit_seconds) => {
            Some(Attention::LongAfterCall)
        }
        _ => None,
    }
}

/// The longest note a raised hand carries, in characters.
pub const HAND_NOTE_MAX_CHARS: usize = 100;

/// Checks a raised hand's note: trimmed, at most [`HAND_NOTE_MAX_CHARS`], one line.
pub fn hand_note(note: &str) -> Result<String, RuleError> {
    let note = note.trim();
    if note.chars().count() > HAND_NOTE_MAX_CHARS {
        return Err(RuleError::Refused(format!("挙手のメモは{HAND_NOTE_MAX_CHARS}文字までです。")));
    }
    if note.chars().any(char::is_control) {
        return Err(RuleError::Refused("挙手のメモは1行で書いてください。".into()));
    }
    Ok(note.to_string())
}

/// 挙手: an operator asking a supervisor for help, shown at the top of the floor view until a
/// supervisor acknowledges it (the operator's status bar then says who saw it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HandRaise {
    /// Hand id.
    pub id: i64,
    /// The operator asking for help.
    pub operator: String,
    /// Their short note (may be empty).
    pub note: String,
    /// When the hand went up.
    pub raised_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The supervisor who acknowledged it.
    pub acknowledged_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// One entry of the state log: from `at` on, the operator was in `state` (`None`: signed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// When the change took effect.
    pub at: DateTime<Utc>,
    /// The state from then on (`None`: signed out).
    pub state: Option<AgentState>,
    /// The away reason id, when the state is `Away`.
    pub reason: Option<String>,
}

/// `h:mm` of a number of seconds (an operator's time on the floor in reports).
pub fn hours_minutes(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// An operator's day in numbers (seconds), for the call report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentDay {
    /// Operator name.
    pub operator: String,
    /// Time signed in.
    pub signed_in_seconds: u64,
    /// Time 受付可.
    pub available_seconds: u64,
    /// Time 通話中.
    pub on_call_seconds: u64,
    /// Time 後処理.
    pub after_call_seconds: u64,
    /// Time 離席.
    pub away_seconds: u64,
    /// Away time by reason id, largest first.
    pub away_by_reason: Vec<AwayTime>,
    /// (on call + after-call) ÷ (on call + after-call + available); none with no such time.
    pub occupancy: Option<f64>,
}

/// Time away for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AwayTime {
    /// The away reason's id.
    pub reason: String,
    /// The reason's label in the policy (the id itself for a reason no longer listed).
    pub label: String,
    /// Time away for it.
    pub seconds: u64,
}

/// Sums one operator's state log over `[from, until)`: `before` is the state in force at
/// `from` (the last change before it), `changes` those inside the period, oldest first.
/// After-call work past the policy's time counts as 受付可 from when it ran out, as the server
/// would have recorded it.
pub fn day_totals(
    operator: &str,
    before: Option<&StateChange>,
    changes: &[StateChange],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    policy: &FloorPolicy,
) -> AgentDay {
    let mut day = AgentDay { operator: operator.to_string(), ..AgentDay::default() };
    let mut away: BTreeMap<String, u64> = BTreeMap::new();
    let start = before.map(|b| StateChange { at: from, ..b.clone() });
    let entries: Vec<&StateChange> = start.iter().chain(changes.iter().filter(|c| c.at >= from)).collect();
    let max_after = Duration::seconds(i64::from(policy.after_call_max_seconds));
    for (i, c) in entries.iter().enumerate() {
        let end = entries.get(i + 1).map(|n| n.at).unwrap_or(until).min(until);
        let begin = c.at.max(from);
        if end <= begin {
            continue;
        }
        let secs = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_seconds().max(0) as u64;
        let Some(state) = c.state else { continue };
        day.signed_in_seconds += secs(begin, end);
        match state {
            AgentState::Available => day.available_seconds += secs(begin, end),
            AgentState::OnCall => day.on_call_seconds += secs(begin, end),
            AgentState::AfterCall => {
                // Measured from the change itself: a period cut at `from` keeps its limit.
                let cut = (c.at + max_after).clamp(begin, end);
                day.after_call_seconds += secs(begin, cut);
                day.available_seconds += secs(cut, end);
            }
            AgentState::Away => {
                day.away_seconds += secs(begin, end);
                *away.entry(c.reason.clone().unwrap_or_default()).or_default() += secs(begin, end);
            }
        }
    }
    let mut by_reason: Vec<AwayTime> = away
        .into_iter()
        .map(|(reason, seconds)| AwayTime { label: policy.away_label(&reason).to_string(), reason, seconds })
        .collect();
    by_reason.sort_by(|a, b| b.seconds.cmp(&a.seconds).then_with(|| a.reason.cmp(&b.reason)));
    day.away_by_reason = by_reason;
    let busy = day.on_call_seconds + day.after_call_seconds;
    let open = busy + day.available_seconds;
    day.occupancy = (open > 0).then(|| busy as f64 / open as f64);
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 7, 9, h, m, s).unwrap()
    }

    fn p() -> FloorPolicy {
        FloorPolicy::default()
    }

    fn step(cur: Option<&AgentStatus>, ev: AgentEvent, at: DateTime<Utc>) -> Option<AgentStatus> {
        match transition(cur, &ev, at, &p()).expect("allowed") {
            Transition::To(s) => s,
            Transition::Unchanged => cur.cloned(),
        }
    }

    #[test]
    fn a_call_goes_on_call_then_after_call_then_available() {
        let s = step(None, AgentEvent::SignIn, t(0, 0, 0)).unwrap();
        assert_eq!(s.state, AgentState::Available);
        let s = step(Some(&s), AgentEvent::CallStarted { call_id: 7 }, t(0, 1, 0)).unwrap();
        assert_eq!((s.state, s.call_id, s.since), (AgentState::OnCall, Some(7), t(0, 1, 0)));
        let s = step(Some(&s), AgentEvent::CallClosed { call_id: 7 }, t(0, 5, 0)).unwrap();
        assert_eq!((s.state, s.call_id), (AgentState::AfterCall, Some(7)));
        assert_eq!(after_call_expired(&s, t(0, 9, 59), &p()), None);
        let a = after_call_expired(&s, t(0, 10, 0), &p()).unwrap();
        assert_eq!((a.state, a.since, a.signed_in_at), (AgentState::Available, t(0, 10, 0), t(0, 0, 0)));
        // Earlier with the key.
        let k = step(Some(&s), AgentEvent::Available, t(0, 6, 0)).unwrap();
        assert_eq!((k.state, k.since), (AgentState::Available, t(0, 6, 0)));
    }

    #[test]
    fn a_call_signs_in_an_operator_who_was_not() {
        let s = step(None, AgentEvent::CallStarted { call_id: 1 }, t(1, 0, 0)).unwrap();
        assert_eq!((s.state, s.signed_in_at), (AgentState::OnCall, t(1, 0, 0)));
    }

    #[test]
    fn closing_another_call_changes_nothing() {
        let s = step(None, AgentEvent::CallStarted { call_id: 2 }, t(1, 0, 0)).unwrap();
        let r = transition(Some(&s), &AgentEvent::CallClosed { call_id: 1 }, t(1, 1, 0), &p()).unwrap();
        assert_eq!(r, Transition::Unchanged);
        let avail = step(None, AgentEvent::SignIn, t(1, 0, 0)).unwrap();
        let r = transition(Some(&avail), &AgentEvent::CallClosed { call_id: 1 }, t(1, 1, 0), &p()).unwrap();
        assert_eq!(r, Transition::Unchanged);
    }

    #[test]
    fn away_needs_a_policy_reason_and_no_call() {
        let s = step(None, AgentEvent::SignIn, t(0, 0, 0)).unwrap();
        let a = step(Some(&s), AgentEvent::Away { reason: "break".into() }, t(0, 1, 0)).unwrap();
        assert_eq!((a.state, a.reason.as_deref()), (AgentState::Away, Some("break")));
        let e =
            transition(Some(&s), &AgentEvent::Away { reason: "nap".into() }, t(0, 1, 0), &p()).unwrap_err();
        assert!(e.to_string().contains("休憩"), "{e}");
        let c = step(Some(&s), AgentEvent::CallStarted { call_id: 3 }, t(0, 2, 0)).unwrap();
        let e =
            transition(Some(&c), &AgentEvent::Away { reason: "break".into() }, t(0, 3, 0), &p()).unwrap_err();
        assert!(e.to_string().contains("通話中"), "{e}");
        let e = transition(Some(&c), &AgentEvent::Available, t(0, 3, 0), &p()).unwrap_err();
        assert!(e.to_string().contains("通話中"), "{e}");
    }

    #[test]
    fn sign_in_twice_keeps_the_state_and_sign_out_ends_it() {
        let s = step(None, AgentEvent::CallStarted { call_id: 1 }, t(0, 0, 0)).unwrap();
        assert_eq!(
            transition(Some(&s), &AgentEvent::SignIn, t(0, 1, 0), &p()).unwrap(),
            Transition::Unchanged
        );
        assert_eq!(
            transition(Some(&s), &AgentEvent::SignOut, t(0, 1, 0), &p()).unwrap(),
            Transition::To(None)
        );
        assert_eq!(transition(None, &AgentEvent::SignOut, t(0, 1, 0), &p()).unwrap(), Transition::Unchanged);
    }

    #[test]
    fn long_calls_and_long_after_call_stand_out() {
        let on = AgentStatus {
            state: AgentState::OnCall,
            reason: None,
            since: t(0, 0, 0),
            call_id: Some(1),
            signed_in_at: t(0, 0, 0),
        };
        assert_eq!(attention(&on, t(0, 15, 0), &p()), None);
        assert_eq!(attention(&on, t(0, 15, 1), &p()), Some(Attention::LongCall));
        let after = AgentStatus { state: AgentState::AfterCall, ..on.clone() };
        assert_eq!(attention(&after, t(0, 2, 0), &p()), None);
        assert_eq!(attention(&after, t(0, 2, 1), &p()), Some(Attention::LongAfterCall));
        let away = AgentStatus { state: AgentState::Away, ..on };
        assert_eq!(attention(&away, t(5, 0, 0), &p()), None);
    }

    #[test]
    fn hand_notes_are_short_and_one_line() {
        assert_eq!(hand_note("  補助金の件で確認したい ").unwrap(), "補助金の件で確認したい");
        assert_eq!(hand_note("").unwrap(), "");
        assert!(hand_note(&"あ".repeat(101)).is_err());
        assert!(hand_note("a\nb").is_err());
    }

    #[test]
    fn the_policy_is_checked() {
        assert_eq!(p().check(), Ok(()));
        let bad = FloorPolicy { after_call_limit_seconds: 400, ..p() };
        assert_eq!(bad.check().unwrap_err().0, "floor.after_call_limit_seconds");
        let mut dup = p();
        dup.away_reason.push(AwayReason { id: "break".into(), label: "x".into() });
        assert_eq!(dup.check().unwrap_err().0, "floor.away_reason[4].id");
        assert_eq!(p().away_label("training"), "研修");
        assert_eq!(p().away_label("gone"), "gone");
    }

    fn ch(at: DateTime<Utc>, state: Option<AgentState>, reason: Option<&str>) -> StateChange {
        StateChange { at, state, reason: reason.map(str::to_string) }
    }

    #[test]
    fn a_day_in_numbers() {
        use AgentState::*;
        let changes = vec![
            ch(t(0, 0, 0), Some(Available), None),
            ch(t(0, 10, 0), Some(OnCall), None),
            ch(t(0, 20, 0), Some(AfterCall), None),
            ch(t(0, 22, 0), Some(Available), None),
            ch(t(0, 30, 0), Some(Away), Some("break")),
            ch(t(0, 45, 0), Some(OnCall), None),
            ch(t(0, 50, 0), Some(AfterCall), None),
            // After-call never ended by a key: 5 minutes count, the rest is 受付可.
            ch(t(1, 10, 0), Some(Away), Some("meeting")),
            ch(t(1, 15, 0), None, None),
        ];
        let d = day_totals("yamada", None, &changes, t(0, 0, 0), t(2, 0, 0), &p());
        assert_eq!(d.signed_in_seconds, 75 * 60);
        assert_eq!(d.on_call_seconds, 15 * 60);
        assert_eq!(d.after_call_seconds, 7 * 60);
        assert_eq!(d.available_seconds, (10 + 8 + 15) * 60);
        assert_eq!(d.away_seconds, 20 * 60);
        assert_eq!(
            d.away_by_reason,
            vec![
                AwayTime { reason: "break".into(), label: "休憩".into(), seconds: 900 },
                AwayTime { reason: "meeting".into(), label: "打合せ".into(), seconds: 300 }
            ]
        );
        let occ = d.occupancy.unwrap();
        assert!((occ - 22.0 / 55.0).abs() < 1e-9, "{occ}");
    }

    #[test]
    fn a_day_starts_with_the_state_in_force_and_stops_at_its_end() {
        use AgentState::*;
        let before = ch(t(0, 0, 0) - Duration::hours(1), Some(OnCall), None);
        let changes = vec![ch(t(0, 30, 0), Some(Available), None)];
        let d = day_totals("a", Some(&before), &changes, t(0, 0, 0), t(1, 0, 0), &p());
        assert_eq!((d.on_call_seconds, d.available_seconds, d.signed_in_seconds), (1800, 1800, 3600));
        assert_eq!(d.occupancy, Some(0.5));
        let nothing = day_totals("b", None, &[], t(0, 0, 0), t(1, 0, 0), &p());
        assert_eq!((nothing.signed_in_seconds, nothing.occupancy), (0, None));
    }
}
