//! 架電キャンペーン: the centre calls out to every application still matching a filter (by
//! default 機種未定) before the selection deadline. Pure rules, no I/O and no clock:
//!
//! - `hours.rs`: [`CallableHours`], when an institution may be called;
//! - `burndown.rs`: [`BurnDown`], members left per day, the pace and the day it reaches zero;
//! - here: the campaign's policy ([`CampaignPolicy`], read from `[campaign]` in the policy
//!   file), the filter, [`Outcome`] and what follows one (done, a retry in the next callable
//!   window, or exhausted), the order `next` hands members out in, and who may record an
//!   outcome (the lessee only).

mod burndown;
mod hours;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use burndown::{BurnDown, BurnDownDay, burn_down};
pub use hours::{CallableHours, TimeRange, WeekHours};

use super::{InstitutionKind, ReaderStatus, RuleError};

/// The campaign section of the policy file: attempts, the lease, retry intervals, the order
/// of kinds, the callable hours. A policy file without it gets the built-in values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPolicy {
    /// Attempts (calls with a retry outcome) before a member is exhausted (3).
    pub max_attempts: u32,
    /// How long a member handed out by `next` stays with its operator (minutes).
    pub lease_minutes: u32,
    /// Minutes before a retry, per retry outcome; the retry then waits for the next window.
    pub retry_minutes: RetryMinutes,
    /// Which kinds are called first (the deadline risk order); kinds not listed come last.
    pub kind_order: Vec<InstitutionKind>,
    /// Days the burn-down's pace is averaged over.
    pub pace_days: u32,
    /// The wrap-up reason (an id of `wrap_up_reason`) a campaign call is closed with.
    pub wrap_up_reason: String,
    /// The centre's own hours (seed: 月～金 8:00～18:00, 土 8:00～16:00).
    pub centre_hours: WeekHours,
    /// Institutions' usual hours by kind (each kind in exactly one entry).
    pub institution_hours: Vec<WeekHours>,
    /// Days the institutions are closed (national holidays), Japan dates.
    #[serde(default)]
    pub closed_days: Vec<NaiveDate>,
}

/// Minutes before the next try after each retry outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryMinutes {
    /// After 担当者不在 (the person in charge was out).
    pub absent: u32,
    /// After 不通 (nobody answered).
    pub no_answer: u32,
    /// After the call-back's due time.
    pub call_back: u32,
}

impl CampaignPolicy {
    /// The institution's usual hours of `kind`.
    pub fn kind_hours(&self, kind: InstitutionKind) -> Option<&WeekHours> {
        self.institution_hours.iter().find(|h| h.kinds.contains(&kind))
    }

    /// When an institution of `kind` may be called.
    pub fn callable_hours(&self, kind: InstitutionKind) -> CallableHours<'_> {
        static CLOSED: WeekHours =
            WeekHours { kinds: Vec::new(), weekdays: Vec::new(), saturday: Vec::new(), sunday: Vec::new() };
        CallableHours {
            centre: &self.centre_hours,
            institution: self.kind_hours(kind).unwrap_or(&CLOSED),
            closed_days: &self.closed_days,
        }
    }

    /// The kinds that may be called at `at`.
    pub fn callable_kinds(&self, at: DateTime<Utc>) -> Vec<InstitutionKind> {
        InstitutionKind::ALL.into_iter().filter(|k| self.callable_hours(*k).is_callable_at(at)).collect()
    }

    /// The first instant at or after `at` when any kind of `kinds` may be called.
    pub fn next_window_opens(&self, kinds: &[InstitutionKind], at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        kinds.iter().filter_map(|k| self.callable_hours(*k).next_window_opens(at)).min()
    }

    /// A member's place in the order of kinds (0 first): stored with the member so that `next`
    /// reads members in order from an index.
    pub fn kind_rank(&self, kind: InstitutionKind) -> i64 {
        self.kind_order.iter().position(|k| *k == kind).unwrap_or(self.kind_order.len()) as i64
    }

    /// The relations TOML types cannot express; `Err((key, message))`.
    pub fn validate(&self, wrap_up_ids: &[&str]) -> Result<(), (String, String)> {
        let bad = |key: &str, msg: &str| Err((format!("campaign.{key}"), msg.to_string()));
        if self.max_attempts == 0 || self.max_attempts > 20 {
            return bad("max_attempts", "1〜20 にしてください");
        }
        if self.lease_minutes == 0 || self.lease_minutes > 240 {
            return bad("lease_minutes", "1〜240（分）にしてください");
        }
        if self.pace_days == 0 || self.pace_days > 31 {
            return bad("pace_days", "1〜31（日）にしてください");
        }
        let r = &self.retry_minutes;
        if [r.absent, r.no_answer, r.call_back].iter().any(|m| *m > 7 * 24 * 60) {
            return bad("retry_minutes", "7日（10080分）以内にしてください");
        }
        if !wrap_up_ids.contains(&self.wrap_up_reason.as_str()) {
            return bad("wrap_up_reason", "wrap_up_reason の id のどれかにしてください（例: \"model\"）");
        }
        for kind in InstitutionKind::ALL {
            let n = self.institution_hours.iter().filter(|h| h.kinds.contains(&kind)).count();
            if n != 1 {
                return bad(
                    "institution_hours",
                    &format!("{}の時間帯をちょうど1つ書いてください（{}個ありました）", kind.label_ja(), n),
                );
            }
        }
        Ok(())
    }
}

/// Which applications a campaign works: a reader status (default 機種未定), and optionally
/// only some prefectures and kinds. An empty list means every one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignFilter {
    #[serde(default = "undecided")]
    /// The reader status members have (default 機種未定).
    pub status: ReaderStatus,
    #[serde(default)]
    /// Prefecture names to include; empty for every prefecture.
    pub prefectures: Vec<String>,
    #[serde(default)]
    /// Institution kinds to include; empty for every kind.
    pub kinds: Vec<InstitutionKind>,
}

fn undecided() -> ReaderStatus {
    ReaderStatus::Undecided
}

impl CampaignFilter {
    /// Checks the filter against the known prefectures: a status a campaign can work (机種未定
    /// or 機種選定済: the others cannot be changed by a call), prefectures by their Japanese name.
    pub fn check(&self, known_prefectures: &[&str]) -> Result<(), RuleError> {
        if !matches!(self.status, ReaderStatus::Undecided | ReaderStatus::Selected) {
            return Err(RuleError::Refused(
                "キャンペーンの対象にできるのは「機種未定」か「機種選定済」の申込だけです。".into(),
            ));
        }
        for p in &self.prefectures {
            if !known_prefectures.contains(&p.as_str()) {
                return Err(RuleError::Refused(format!(
                    "都道府県「{p}」はありません。「東京都」「北海道」のように正式な名前で指定してください。"
                )));
            }
        }
        Ok(())
    }
}

/// 架電結果: how one call of a campaign ended. Final outcomes finish the member; the others
/// schedule a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 機種選定済（この電話で変更）: needs the 受付番号 of the change made in this call.
    Selected,
    /// 辞退・キャンセル希望.
    Declined,
    /// 番号違い.
    WrongNumber,
    /// 架電不要: also kept on the institution, so every later campaign skips it.
    DoNotCall,
    /// 担当者不在 (retry).
    Absent,
    /// 不通（留守・話し中） (retry).
    NoAnswer,
    /// 折り返し予定 (retry): makes a call-back due before the deadline.
    CallBack,
}

impl Outcome {
    /// Every outcome, in the order the console numbers them (1 = the first).
    pub const ALL: [Outcome; 7] = [
        Outcome::Selected,
        Outcome::Absent,
        Outcome::NoAnswer,
        Outcome::CallBack,
        Outcome::Declined,
        Outcome::WrongNumber,
        Outcome::DoNotCall,
    ];

    /// The stored / wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Selected => "selected",
            Outcome::Declined => "declined",
            Outcome::WrongNumber => "wrong_number",
            Outcome::DoNotCall => "do_not_call",
            Outcome::Absent => "absent",
            Outcome::NoAnswer => "no_answer",
            Outcome::CallBack => "call_back",
        }
    }

    /// The outcome spelled `s` as [`Outcome::as_str`] writes it, if any.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }

    /// What the operator reads.
    pub fn label_ja(self) -> &'static str {
        match self {
            Outcome::Selected => "機種選定済（この電話で変更）",
            Outcome::Declined => "辞退・キャンセル希望",
            Outcome::WrongNumber => "番号違い",
            Outcome::DoNotCall => "架電不要",
            Outcome::Absent => "担当者不在",
            Outcome::NoAnswer => "不通（留守・話し中）",
            Outcome::CallBack => "折り返し予定",
        }
    }

    /// Final outcomes finish the member.
    pub fn is_final(self) -> bool {
        matches!(self, Outcome::Selected | Outcome::Declined | Outcome::WrongNumber | Outcome::DoNotCall)
    }

    /// Whether the institution was reached (the burn-down's "reached").
    pub fn reached(self) -> bool {
        matches!(self, Outcome::Selected | Outcome::Declined | Outcome::DoNotCall | Outcome::CallBack)
    }
}

/// What a member becomes after an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterOutcome {
    /// A final outcome: the member is done.
    Done,
    /// Tried again from this instant (inside a callable window).
    Retry(DateTime<Utc>),
    /// The attempts are used up: listed for the supervisor.
    Exhausted,
}

impl AfterOutcome {
    /// The member's stored state after it.
    pub fn stored(self) -> StoredState {
        match self {
            AfterOutcome::Done => StoredState::Done,
            AfterOutcome::Exhausted => StoredState::Exhausted,
            AfterOutcome::Retry(_) => StoredState::Open,
        }
    }

    /// When the member is tried again, if it is.
    pub fn next_try_at(self) -> Option<DateTime<Utc>> {
        match self {
            AfterOutcome::Retry(t) => Some(t),
            AfterOutcome::Done | AfterOutcome::Exhausted => None,
        }
    }
}

/// An outcome of the member's `attempts_after`th call at `now`: done, a retry in the next
/// callable window after the policy's interval (after the call-back for 折り返し予定), or
/// exhausted once the policy's maximum is reached.
pub fn after_outcome(
    policy: &CampaignPolicy,
    kind: InstitutionKind,
    outcome: Outcome,
    attempts_after: u32,
    now: DateTime<Utc>,
    call_back_due: Option<DateTime<Utc>>,
) -> AfterOutcome {
    if outcome.is_final() {
        return AfterOutcome::Done;
    }
    if attempts_after >= policy.max_attempts {
        return AfterOutcome::Exhausted;
    }
    let r = &policy.retry_minutes;
    let (from, minutes) = match outcome {
        Outcome::Absent => (now, r.absent),
        Outcome::CallBack => (call_back_due.unwrap_or(now), r.call_back),
        _ => (now, r.no_answer),
    };
    let earliest = from + Duration::minutes(i64::from(minutes));
    AfterOutcome::Retry(policy.callable_hours(kind).next_window_opens(earliest).unwrap_or(earliest))
}

impl Outcome {
    /// Whether [`check_receipt`] reads the call's receipts for this outcome (the store reads
    /// them only then).
    pub fn checks_receipt(self) -> bool {
        self == Outcome::Selected
    }
}

/// The 受付番号 an outcome carries: 機種選定済 needs one, and it must be a change made in this
/// call (`call_receipts`); the other outcomes take none.
pub fn check_receipt(
    outcome: Outcome,
    given: Option<&str>,
    call_receipts: &[String],
) -> Result<(), RuleError> {
    let given = given.map(str::trim).filter(|r| !r.is_empty());
    match (outcome, given) {
        (Outcome::Selected, None) => Err(RuleError::Refused(
            "「機種選定済」にはこの電話で行った変更の受付番号が必要です。先に機種を変更してください。".into(),
        )),
        (Outcome::Selected, Some(r)) if !call_receipts.iter().any(|c| c == r) => {
            Err(RuleError::Refused(format!(
                "受付番号 {r} はこの電話の変更ではありません。この電話で変更したときの受付番号を指定してください。"
            )))
        }
        _ => Ok(()),
    }
}

/// The due time of the call-back 折り返し予定 makes: the one asked for (or the policy's
/// default after now), no later than the end of the deadline day (Japan time).
pub fn call_back_due(
    now: DateTime<Utc>,
    requested: Option<DateTime<Utc>>,
    default_minutes: u32,
    deadline: NaiveDate,
) -> Result<DateTime<Utc>, RuleError> {
    let due = super::call::callback_due(now, requested, default_minutes)?;
    let deadline_end =
        super::jst::instant(deadline.succ_opt().unwrap_or(deadline).and_hms_opt(0, 0, 0).unwrap_or_default());
    if due >= deadline_end {
        return Err(RuleError::Refused(format!(
            "折り返しは選定期限（{}）までに設定してください。",
            super::policy::format_date_ja(deadline)
        )));
    }
    Ok(due)
}

/// Who may record an outcome on a member: only the operator it was last handed to, once per
/// hand-out (`handed_out`: a lease was given and no outcome recorded on it since, even if it
/// has lapsed). `Err` names the holder (the API's 409).
pub fn check_lessee(leased_by: Option<&str>, handed_out: bool, caller: &str) -> Result<(), RuleError> {
    match leased_by {
        Some(holder) if holder == caller && handed_out => Ok(()),
        Some(holder) if holder == caller => Err(RuleError::Refused(
            "この対象の結果はもう記録しました。もう一度かけるときは「次へ」で受け取り直してください。".into(),
        )),
        Some(holder) => Err(RuleError::Refused(format!(
            "この対象は {holder} さんが確保しています。結果を記録できるのは確保した人だけです。"
        ))),
        None => Err(RuleError::Refused(
            "この対象は誰も確保していません。「次へ」で受け取ってから結果を記録してください。".into(),
        )),
    }
}

/// Where a member stands, as the supervisor reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Waiting for its (next) call.
    Open,
    /// Handed to an operator, lease in force.
    Leased,
    /// Finished with a final outcome in this campaign.
    Done,
    /// Attempts used up without reaching anyone who decided.
    Exhausted,
    /// Its application stopped matching the filter by another route (an inbound call, an
    /// import, another campaign): done by that route.
    Left,
    /// Cancelled by the deadline batch while still in the campaign.
    CancelledByDeadline,
    /// The institution asked not to be called (架電不要, from any campaign).
    DoNotCall,
}

impl MemberState {
    /// The state's name on the console (未完了, 架電中, 完了, ...).
    pub fn label_ja(self) -> &'static str {
        match self {
            MemberState::Open => "未完了",
            MemberState::Leased => "架電中",
            MemberState::Done => "完了",
            MemberState::Exhausted => "上限到達",
            MemberState::Left => "他経路で完了",
            MemberState::CancelledByDeadline => "期限でキャンセル",
            MemberState::DoNotCall => "架電不要",
        }
    }

    /// Whether the member is still to be worked (counts in "left" on the burn-down).
    pub fn is_open(self) -> bool {
        matches!(self, MemberState::Open | MemberState::Leased)
    }
}

/// The facts a member's state is read from: its stored state, whether its application still
/// matches, how it stopped matching, the lease, the institution's do-not-call mark.
#[derive(Debug, Clone, Copy)]
pub struct MemberFacts {
    /// `open`, `done` or `exhausted` as stored.
    pub stored: StoredState,
    /// Whether its application still matches the campaign's filter.
    pub still_matches: bool,
    /// Whether the deadline batch cancelled its application.
    pub cancelled_by_deadline: bool,
    /// When its lease ends, if it was handed out.
    pub lease_until: Option<DateTime<Utc>>,
    /// Whether the institution is marked 架電不要.
    pub do_not_call: bool,
}

/// The member's own progress as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// Waiting for a call or on one.
    Open,
    /// Finished with a final outcome.
    Done,
    /// Attempts used up.
    Exhausted,
}

impl StoredState {
    /// The state as stored (`open`, `done`, `exhausted`).
    pub fn as_str(self) -> &'static str {
        match self {
            StoredState::Open => "open",
            StoredState::Done => "done",
            StoredState::Exhausted => "exhausted",
        }
    }

    /// The state stored as `s`, if any.
    pub fn parse(s: &str) -> Option<StoredState> {
        [StoredState::Open, StoredState::Done, StoredState::Exhausted].into_iter().find(|x| x.as_str() == s)
    }
}

/// A member's state at `now`. The campaign's own outcome wins; an open member whose
/// application stopped matching has left (or was cancelled by the deadline batch).
pub fn member_state(f: MemberFacts, now: DateTime<Utc>) -> MemberState {
    match f.stored {
        StoredState::Done => return MemberState::Done,
        StoredState::Exhausted => return MemberState::Exhausted,
        StoredState::Open => {}
    }
    if !f.still_matches {
        return if f.cancelled_by_deadline { MemberState::CancelledByDeadline } else { MemberState::Left };
    }
    if f.do_not_call {
        return MemberState::DoNotCall;
    }
    match f.lease_until {
        Some(until) if until > now => MemberState::Leased,
        _ => MemberState::Open,
    }
}

#[cfg(test)]
mod tests;
