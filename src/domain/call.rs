//! 応対記録 around the call itself: the wrap-up reasons a call ends with, the call-back
//! (折り返し) task the verification step asks for, and the supervisors' call report assembled
//! from counts. Pure rules: the clock is a parameter, the store and the server are elsewhere.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RuleError;

/// One entry of the policy's wrap-up list (応対の理由). The list lives in the policy file so that
/// a centre can add a reason without a release; calls store the stable `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpReason {
    /// Stable id stored with each call (`model`, `subsidy`, ...).
    pub id: String,
    /// What the operator and the reports show (機種選定・変更, ...).
    pub label: String,
    /// Proposed for a call during which a reader application was changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_change: bool,
}

/// Who is changing a call record, as the ownership rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEditor {
    /// The operator who took the call.
    Owner,
    /// A supervisor changing another operator's record: allowed, and audited.
    Supervisor,
}

/// A call record is changed only by the operator who took it, or by a supervisor (whose
/// change of another's record the caller audits); anyone else is refused (`None`).
pub fn call_editor(call_operator: &str, caller: &str, caller_is_supervisor: bool) -> Option<CallEditor> {
    if call_operator == caller {
        Some(CallEditor::Owner)
    } else if caller_is_supervisor {
        Some(CallEditor::Supervisor)
    } else {
        None
    }
}

/// 登録電話番号へ折り返し verifies a caller only when madoguchi made the call: a change claiming it
/// must be on a call started by taking a call-back (`call_callback_id`) for the same institution
/// (`call_code`), whose number was copied from the institution's record. Without such a call the
/// claim is refused and the operator is told what to do instead.
pub fn check_callback_verification(
    code: &str,
    call: Option<(Option<&str>, Option<i64>)>,
) -> Result<(), RuleError> {
    let Some((call_code, call_callback_id)) = call else {
        return Err(RuleError::Refused(
            "「登録電話番号へ折り返し」は折り返しの応対中にだけ選べます。折り返しを登録して登録電話番号へ掛け直すか、登録内容の読み上げで確認してください。".into(),
        ));
    };
    if call_callback_id.is_none() {
        return Err(RuleError::Refused(
            "この応対は折り返しで始めたものではありません。「登録電話番号へ折り返し」は折り返しから始めた応対で選んでください（登録内容の読み上げでの確認もできます）。".into(),
        ));
    }
    if call_code != Some(code) {
        return Err(RuleError::Refused(format!(
            "この応対は{}への折り返しです。{code} の変更は、その医療機関への折り返しで行ってください。",
            call_code.unwrap_or("別の医療機関")
        )));
    }
    Ok(())
}

/// Checks the reasons an operator chose to close a call with: at least one, each from the
/// policy list. Returns them deduplicated, in the policy's order.
pub fn check_wrap_up(list: &[WrapUpReason], chosen: &[String]) -> Result<Vec<String>, RuleError> {
    if chosen.is_empty() {
        return Err(RuleError::Refused(format!(
            "応対の理由を1つ以上選んでから終了してください（{}）。",
            list.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join("、")
        )));
    }
    if let Some(unknown) = chosen.iter().find(|c| !list.iter().any(|r| &r.id == *c)) {
        return Err(RuleError::Refused(format!(
            "応対の理由「{unknown}」はポリシーの一覧にありません。一覧から選んでください（{}）。",
            list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(list.iter().filter(|r| chosen.contains(&r.id)).map(|r| r.id.clone()).collect())
}

/// The reasons proposed when the operator closes a call: those marked `on_change` when the call
/// changed an application (it has a 受付番号), none otherwise.
pub fn proposed_reasons(list: &[WrapUpReason], changed_application: bool) -> Vec<String> {
    if !changed_application {
        return Vec::new();
    }
    list.iter().filter(|r| r.on_change).map(|r| r.id.clone()).collect()
}

/// The label of a reason id; an id no longer in the policy (an older list) shows as itself.
pub fn reason_label<'a>(list: &'a [WrapUpReason], id: &'a str) -> &'a str {
    list.iter().find(|r| r.id == id).map(|r| r.label.as_str()).unwrap_or(id)
}

/// How a call-back ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallBackOutcome {
    /// The institution was reached on its registered number and the matter handled.
    Reached,
    /// Nobody answered the registered number.
    NoAnswer,
    /// No longer needed (the institution called in again, the matter resolved itself).
    NotNeeded,
}

impl CallBackOutcome {
    /// Every outcome, in the order the console offers them.
    pub const ALL: [CallBackOutcome; 3] =
        [CallBackOutcome::Reached, CallBackOutcome::NoAnswer, CallBackOutcome::NotNeeded];

    /// The outcome as the API spells it (`reached`, `no_answer`, `not_needed`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallBackOutcome::Reached => "reached",
            CallBackOutcome::NoAnswer => "no_answer",
            CallBackOutcome::NotNeeded => "not_needed",
        }
    }

    /// The outcome spelled `s` as [`CallBackOutcome::as_str`] writes it, if any.
    pub fn parse(s: &str) -> Option<CallBackOutcome> {
        CallBackOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The outcome's name on the console (対応済, 不在, 不要).
    pub fn label_ja(self) -> &'static str {
        match self {
            CallBackOutcome::Reached => "対応済",
            CallBackOutcome::NoAnswer => "不在",
            CallBackOutcome::NotNeeded => "不要",
        }
    }
}

/// Where a call-back stands at a given instant: the dashboard's list sorts and colours by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallBackState {
    /// Past its due time and not done.
    Overdue,
    /// Not done, due later.
    Due,
    /// Finished, with an outcome.
    Done,
}

impl CallBackState {
    /// The state's name on the console (期限超過, 予定, 完了).
    pub fn label_ja(self) -> &'static str {
        match self {
            CallBackState::Overdue => "期限超過",
            CallBackState::Due => "予定",
            CallBackState::Done => "完了",
        }
    }
}

/// A reader application change that waits for a call-back: the caller asked for it, but their
/// identity is to be verified by calling back the registered number. What the operator filled
/// in the change dialog, so whoever takes the call-back completes it without asking again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingChange {
    /// The 機種 chosen (an id from the catalogue).
    pub model_id: String,
    /// Number of readers wanted.
    pub units: u32,
    /// Who at the institution asked for the change.
    pub caller_name: String,
    /// Their role at the institution.
    pub caller_role: String,
}

/// A pending change's fields, trimmed and checked (the model itself is checked by the server
/// against its catalog, the rules again when the change is made).
pub fn check_pending_change(change: &PendingChange) -> Result<PendingChange, RuleError> {
    let caller_name = change.caller_name.trim();
    if caller_name.is_empty() || caller_name.chars().count() > 100 {
        return Err(RuleError::Refused("変更を依頼した方のお名前（100文字まで）を入れてください。".into()));
    }
    let caller_role = change.caller_role.trim();
    if caller_role.is_empty() || caller_role.chars().count() > 50 {
        return Err(RuleError::Refused("変更を依頼した方の役割（50文字まで）を入れてください。".into()));
    }
    if change.units == 0 {
        return Err(RuleError::Refused("台数は1台以上にしてください。".into()));
    }
    Ok(PendingChange {
        model_id: change.model_id.trim().to_string(),
        units: change.units,
        caller_name: caller_name.to_string(),
        caller_role: caller_role.to_string(),
    })
}

/// 折り返し: a promise to call an institution back on its registered phone number. It exists
/// because the verification step (登録電話番号へ折り返し) must not trust a number the caller
/// gives: the number is copied from the institution's record, never typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallBack {
    /// Call-back id.
    pub id: i64,
    /// 医療機関コード of the institution to call.
    pub code: String,
    /// The institution's registered phone number at the time the task was made.
    pub phone: String,
    /// Why to call back, in the operator's words.
    pub reason: String,
    /// When to call back.
    pub due_at: DateTime<Utc>,
    /// The operator who took the original call.
    pub created_by: String,
    /// When the promise was made.
    pub created_at: DateTime<Utc>,
    /// The call during which it was made, if any.
    pub origin_call_id: Option<i64>,
    /// The call started when an operator took it.
    pub call_id: Option<i64>,
    /// Who took it (the operator making the call back).
    pub taken_by: Option<String>,
    /// How it ended, once done.
    pub outcome: Option<CallBackOutcome>,
    /// When it was closed.
    pub done_at: Option<DateTime<Utc>>,
    /// Where it stands at the instant it was read.
    pub state: CallBackState,
    /// The institution's name, for the list (none once it is gone from the master).
    #[serde(default)]
    pub name: Option<String>,
    /// The change to make once the registered number has verified the caller.
    #[serde(default)]
    pub change: Option<PendingChange>,
}

impl CallBack {
    /// Where the task stands at `now`.
    pub fn state_at(&self, now: DateTime<Utc>) -> CallBackState {
        callback_state(self.done_at.is_some(), self.due_at, now)
    }
}

/// Done, overdue (`now` after the due time) or due.
pub fn callback_state(done: bool, due_at: DateTime<Utc>, now: DateTime<Utc>) -> CallBackState {
    if done {
        CallBackState::Done
    } else if now > due_at {
        CallBackState::Overdue
    } else {
        CallBackState::Due
    }
}

/// The number a call-back goes to: the institution's registered phone, or a refusal when it has
/// none (a number the caller gives cannot be used: that is the point of the call-back).
pub fn callback_phone(registered: Option<&str>) -> Result<String, RuleError> {
    match registered.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Ok(p.to_string()),
        None => Err(RuleError::Refused(
            "この医療機関には登録電話番号がないため、折り返しを登録できません。登録情報の読み上げで本人確認してください。"
                .into(),
        )),
    }
}

/// Longest a call-back may be put off.
pub const CALLBACK_MAX_DAYS: i64 = 14;

/// The due time of a new call-back: the one asked for, or `default_minutes` from `now`. Refused
/// in the past or further off than [`CALLBACK_MAX_DAYS`].
pub fn callback_due(
    now: DateTime<Utc>,
    requested: Option<DateTime<Utc>>,
    default_minutes: u32,
) -> Result<DateTime<Utc>, RuleError> {
    let due = requested.unwrap_or(now + Duration::minutes(i64::from(default_minutes)));
    if due < now - Duration::minutes(1) {
        return Err(RuleError::Refused(
            "折り返しの予定時刻が過去です。これから先の時刻を指定してください。".into(),
        ));
    }
    if due > now + Duration::days(CALLBACK_MAX_DAYS) {
        return Err(RuleError::Refused(format!("折り返しの予定は{CALLBACK_MAX_DAYS}日以内にしてください。")));
    }
    Ok(due)
}

/// A call-back's reason: trimmed, 1..=200 characters.
pub fn callback_reason(reason: &str) -> Result<String, RuleError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(RuleError::Refused("折り返しの用件を入力してください。".into()));
    }
    if r.chars().count() > 200 {
        return Err(RuleError::Refused("折り返しの用件は200文字までです。".into()));
    }
    Ok(r.to_string())
}

/// Closing a call-back: refused once it is done (the outcome is on the record already).
pub fn check_callback_open(done: bool) -> Result<(), RuleError> {
    if done {
        return Err(RuleError::Refused(
            "この折り返しは完了しています。新しい折り返しを登録してください。".into(),
        ));
    }
    Ok(())
}

/// The digits of a caller's number as the phone system reports it (hyphens, spaces, brackets,
/// full-width digits, `+81` or `81` for Japan): a domestic number starting with 0, 6 to 15
/// digits, or a refusal saying what was wrong.
pub fn caller_digits(raw: &str) -> Result<String, RuleError> {
    let mut digits: String = raw
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        })
        .collect();
    let international = raw.trim_start().starts_with('+') || raw.trim_start().starts_with('＋');
    if (international || digits.len() >= 11) && digits.starts_with("81") && !digits.starts_with("810") {
        digits = format!("0{}", &digits[2..]);
    }
    if !(6..=15).contains(&digits.len()) {
        return Err(RuleError::Refused(format!(
            "発信者番号「{}」は電話番号として読めません（6〜15桁の数字）。",
            raw.trim()
        )));
    }
    Ok(digits)
}

/// A report's period: Japan dates, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    /// First day (Japan date).
    pub from: NaiveDate,
    /// Last day (Japan date, inclusive).
    pub to: NaiveDate,
}

/// The longest report period (a year and a day, so a leap year fits).
pub const REPORT_MAX_DAYS: i64 = 367;

impl ReportRange {
    /// A range of Japan dates, refused when reversed or longer than [`REPORT_MAX_DAYS`].
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<ReportRange, RuleError> {
        if to < from {
            return Err(RuleError::Refused(format!("期間の終わり（{to}）が始まり（{from}）より前です。")));
        }
        if (to - from).num_days() + 1 > REPORT_MAX_DAYS {
            return Err(RuleError::Refused(format!(
                "集計期間は{REPORT_MAX_DAYS}日までです。期間を短くしてください。"
            )));
        }
        Ok(ReportRange { from, to })
    }

    /// The instants the range covers, as a half-open UTC interval [start, end) of Japan days.
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (jst_midnight(self.from), jst_midnight(self.to + Duration::days(1)))
    }
}

/// 00:00 Japan time on `day`, in UTC.
fn jst_midnight(day: NaiveDate) -> DateTime<Utc> {
    super::jst::instant(day.and_time(NaiveTime::MIN))
}

/// What the store counts for a report (in SQL, so a year of calls never leaves the database).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// (Japan hour 0..=23, calls started in it).
    pub by_hour: Vec<(u32, u64)>,
    /// (reason id, calls closed with it).
    pub by_reason: Vec<(String, u64)>,
    /// Per operator, in no particular order.
    pub by_operator: Vec<OperatorCounts>,
    /// Call-backs whose due time falls in the range, by where they stand now.
    pub callbacks_due: u64,
    /// Past due and not done.
    pub callbacks_overdue: u64,
    /// Done.
    pub callbacks_done: u64,
}

/// One operator's calls in a report period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorCounts {
    /// Operator name.
    pub operator: String,
    /// Calls the operator started in the period.
    pub calls: u64,
    /// Closed calls and the sum of their handle times (seconds).
    pub closed: u64,
    /// Sum of the closed calls' handle times (seconds).
    pub handle_seconds: u64,
}

/// `GET /v1/reports/calls`: calls by hour, reason and operator, handle time and call-backs,
/// for a supervisor's period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CallReport {
    /// First day (Japan date).
    pub from: NaiveDate,
    /// Last day (Japan date, inclusive).
    pub to: NaiveDate,
    /// Calls started in the period.
    pub calls: u64,
    /// Of those, calls closed.
    pub closed: u64,
    /// Average handle time of the closed calls (seconds), none when no call was closed.
    pub avg_handle_seconds: Option<u64>,
    /// 24 rows, hour 0 to 23 Japan time.
    pub by_hour: Vec<HourCount>,
    /// Every reason of the policy in its order (zeros included), then ids no longer in it.
    pub by_reason: Vec<ReasonCount>,
    /// Busiest operator first.
    pub by_operator: Vec<OperatorReport>,
    /// Call-backs due in the period, by where they stand now.
    pub callbacks: CallBackCounts,
    /// Each operator's time on the floor (signed in, on calls, after-call, away by reason,
    /// occupancy), longest signed in first.
    #[serde(default)]
    pub agent_days: Vec<super::floor::AgentDay>,
}

/// Calls started in one hour of the day (Japan time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HourCount {
    /// Hour of the day, 0 to 23 (Japan time).
    pub hour: u32,
    /// Calls started in that hour.
    pub calls: u64,
}

/// Calls closed with one reason (a call with two reasons counts for both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReasonCount {
    /// The reason's id (as stored on calls).
    pub id: String,
    /// The reason's label in the policy (the id itself for a reason no longer listed).
    pub label: String,
    /// Calls closed with it.
    pub calls: u64,
}

/// One operator's share of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OperatorReport {
    /// Operator name.
    pub operator: String,
    /// Calls the operator started in the period.
    pub calls: u64,
    /// Average handle time of their closed calls (seconds); `None` with none closed.
    pub avg_handle_seconds: Option<u64>,
}

/// Call-backs due in the period, by where they stand now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct CallBackCounts {
    /// Not done, due later.
    pub due: u64,
    /// Past due and not done.
    pub overdue: u64,
    /// Done.
    pub done: u64,
}

/// Rounded average, none for no samples.
fn average(sum: u64, n: u64) -> Option<u64> {
    (n > 0).then(|| (sum + n / 2) / n)
}

/// Builds the report from the store's counts: all 24 hours, every policy reason (zeros too),
/// averages rounded to the second, operators busiest first.
pub fn assemble_report(range: ReportRange, counts: &CallCounts, reasons: &[WrapUpReason]) -> CallReport {
    let mut hours = [0u64; 24];
    for &(h, n) in &counts.by_hour {
        if let Some(slot) = hours.get_mut(h as usize) {
            *slot += n;
        }
    }
    let calls: u64 = hours.iter().sum();
    let mut reason_counts: HashMap<&str, u64> = HashMap::new();
    for (id, n) in &counts.by_reason {
        *reason_counts.entry(id.as_str()).or_default() += n;
    }
    let mut by_reason: Vec<ReasonCount> = reasons
        .iter()
        .map(|r| ReasonCount {
            id: r.id.clone(),
            label: r.label.clone(),
            calls: reason_counts.get(r.id.as_str()).copied().unwrap_or(0),
        })
        .collect();
    let mut retired: Vec<ReasonCount> = counts
        .by_reason
        .iter()
        .filter(|(id, _)| !reasons.iter().any(|r| &r.id == id))
        .map(|(id, n)| ReasonCount { id: id.clone(), label: id.clone(), calls: *n })
        .collect();
    retired.sort_by(|a, b| a.id.cmp(&b.id));
    by_reason.extend(retired);
    let mut by_operator: Vec<OperatorReport> = counts
        .by_operator
        .iter()
        .map(|o| OperatorReport {
            operator: o.operator.clone(),
            calls: o.calls,
            avg_handle_seconds: average(o.handle_seconds, o.closed),
        })
        .collect();
    by_operator.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.operator.cmp(&b.operator)));
    let closed: u64 = counts.by_operator.iter().map(|o| o.closed).sum();
    let handle: u64 = counts.by_operator.iter().map(|o| o.handle_seconds).sum();
    CallReport {
        from: range.from,
        to: range.to,
        calls,
        closed,
        avg_handle_seconds: average(handle, closed),
        by_hour: hours.iter().enumerate().map(|(h, &n)| HourCount { hour: h as u32, calls: n }).collect(),
        by_reason,
        by_operator,
        callbacks: CallBackCounts {
            due: counts.callbacks_due,
            overdue: counts.callbacks_overdue,
            done: counts.callbacks_done,
        },
        agent_days: Vec::new(),
    }
}

/// The report as CSV for the centre's spreadsheet: one `section,key,label,calls,avg_handle_seconds`
/// table (sections `total`, `hour`, `reason`, `operator`, `callbacks`), so it pastes as one sheet.
/// CRLF line ends, as spreadsheets expect.
pub fn report_csv(report: &CallReport) -> String {
    let avg = |a: Option<u64>| a.map(|s| s.to_string()).unwrap_or_default();
    let period = format!("{}..{}", report.from, report.to);
    let mut rows: Vec<[String; 5]> = vec![
        [
            "total".into(),
            period.clone(),
            "応対件数".into(),
            report.calls.to_string(),
            avg(report.avg_handle_seconds),
        ],
        ["total".into(), period, "終了済み".into(), report.closed.to_string(), String::new()],
    ];
    for h in &report.by_hour {
        rows.push([
            "hour".into(),
            format!("{:02}", h.hour),
            format!("{}時台", h.hour),
            h.calls.to_string(),
            String::new(),
        ]);
    }
    for r in &report.by_reason {
        rows.push(["reason".into(), r.id.clone(), r.label.clone(), r.calls.to_string(), String::new()]);
    }
    for o in &report.by_operator {
        rows.push([
            "operator".into(),
            o.operator.clone(),
            o.operator.clone(),
            o.calls.to_string(),
            avg(o.avg_handle_seconds),
        ]);
    }
    let cb = report.callbacks;
    for (key, state, n) in [
        ("due", CallBackState::Due, cb.due),
        ("overdue", CallBackState::Overdue, cb.overdue),
        ("done", CallBackState::Done, cb.done),
    ] {
        rows.push(["callbacks".into(), key.into(), state.label_ja().into(), n.to_string(), String::new()]);
    }
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory cannot fail; a record that did would only shorten the sheet.
    let _ = w.write_record(["section", "key", "label", "calls", "avg_handle_seconds"]);
    for row in &rows {
        let _ = w.write_record(row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
