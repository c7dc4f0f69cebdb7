//! 顔認証付きカードリーダー申込: the reader application, its states and the rules for changing it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::policy::{format_date_ja, quota_message};
use super::{InstitutionKind, Policy, RuleError};

/// Where an institution's reader application stands. `NotApplied` means no application exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    /// No application was made.
    NotApplied,
    /// 機種未定
    Undecided,
    /// 機種選定済
    Selected,
    /// 発送済
    Shipped,
    /// キャンセル
    Cancelled,
}

impl ReaderStatus {
    /// The wire / database name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderStatus::NotApplied => "not_applied",
            ReaderStatus::Undecided => "undecided",
            ReaderStatus::Selected => "selected",
            ReaderStatus::Shipped => "shipped",
            ReaderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the wire / database name.
    pub fn parse(s: &str) -> Option<ReaderStatus> {
        [
            ReaderStatus::NotApplied,
            ReaderStatus::Undecided,
            ReaderStatus::Selected,
            ReaderStatus::Shipped,
            ReaderStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// The label an operator reads (未申込, 機種未定, 機種選定済, 発送済, キャンセル).
    pub fn label_ja(self) -> &'static str {
        match self {
            ReaderStatus::NotApplied => "未申込",
            ReaderStatus::Undecided => "機種未定",
            ReaderStatus::Selected => "機種選定済",
            ReaderStatus::Shipped => "発送済",
            ReaderStatus::Cancelled => "キャンセル",
        }
    }
}

/// 機種: one product of the reader catalog. Only the two confirmed real products carry real
/// names; the rest are marked `sample` so nobody mistakes them for real model numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReaderModel {
    /// Catalogue id, as stored on applications.
    pub id: String,
    /// Maker name.
    pub maker: String,
    /// Product name.
    pub name: String,
    /// True for the made-up sample entries (not real model numbers).
    pub sample: bool,
}

/// The reader application of one institution as stored. `version` increases by one on every
/// change and is the ETag of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReaderApplication {
    /// Where the application stands.
    pub status: ReaderStatus,
    /// `None` while 機種未定 or not applied.
    pub model_id: Option<String>,
    /// Readers applied for.
    pub units: u32,
    /// The day the application was made; `None` if never.
    pub applied_on: Option<NaiveDate>,
    /// Increases by one on every change; the API's ETag.
    pub version: i64,
}

impl ReaderApplication {
    /// The state of an institution that never applied.
    pub fn not_applied() -> ReaderApplication {
        ReaderApplication {
            status: ReaderStatus::NotApplied,
            model_id: None,
            units: 0,
            applied_on: None,
            version: 0,
        }
    }
}

/// What an operator asks for on the caller's word: this model, this many units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderChange {
    /// The 機種 asked for (a catalogue id).
    pub model_id: String,
    /// Readers asked for.
    pub units: u32,
}

/// Applies `change` to `current` under `policy` on business date `today` (Japan time), or
/// says which rule forbids it. Pure: the store calls it inside its write transaction.
///
/// - 未申込 → 機種選定済 (a new application that names a model; `applied_on` = today).
/// - 機種未定 → 機種選定済 up to the selection deadline inclusive; after it, refused: the
///   application is treated as cancelled.
/// - 機種選定済 → 機種選定済 (another model or number of units) until the reader has shipped.
/// - 発送済, キャンセル: refused for operators (a supervisor may [`reinstate`] a cancellation).
///
/// Units must be 1..=the free quota of `kind`. The returned application has `version` one
/// above `current.version`; the store may overwrite it with the version it assigns.
pub fn apply_change(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    current: &ReaderApplication,
    change: &ReaderChange,
) -> Result<ReaderApplication, RuleError> {
    check_change(policy, kind, change)?;
    let selected = |applied_on: Option<NaiveDate>| ReaderApplication {
        status: ReaderStatus::Selected,
        model_id: Some(change.model_id.trim().to_string()),
        units: change.units,
        applied_on,
        version: current.version + 1,
    };
    match current.status {
        ReaderStatus::NotApplied => Ok(selected(Some(today))),
        ReaderStatus::Undecided => {
            if policy.deadline_passed(today) {
                Err(refused(format!(
                    "機種選定の期限（{}）を過ぎているため、この機種未定のお申込みはキャンセル扱いとなり、機種を選ぶことはできません。新たにお申込みいただく必要があります。",
                    format_date_ja(policy.selection_deadline)
                )))
            } else {
                Ok(selected(current.applied_on.or(Some(today))))
            }
        }
        ReaderStatus::Selected => {
            if current.model_id.as_deref() == Some(change.model_id.trim()) && current.units == change.units {
                Err(refused("現在のお申込み内容（機種・台数）と同じです。変更はありません。".to_string()))
            } else {
                Ok(selected(current.applied_on.or(Some(today))))
            }
        }
        ReaderStatus::Shipped => Err(refused(
            "このお申込みのカードリーダーはすでに発送済みのため、機種や台数は変更できません。追加の台数は販売店からのご購入になります。"
                .to_string(),
        )),
        ReaderStatus::Cancelled => Err(refused(
            "このお申込みはキャンセル済みのため、オペレーターでは変更できません。申込みの再開はスーパーバイザーにおつなぎください。"
                .to_string(),
        )),
    }
}

/// Supervisor only (the server checks the role): reopens a cancelled application with the
/// model the caller chose. Everything else about the change is checked as in [`apply_change`].
pub fn reinstate(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    current: &ReaderApplication,
    change: &ReaderChange,
) -> Result<ReaderApplication, RuleError> {
    check_change(policy, kind, change)?;
    if current.status != ReaderStatus::Cancelled {
        return Err(refused(format!(
            "再開できるのはキャンセル済みのお申込みだけです（現在: {}）。",
            current.status.label_ja()
        )));
    }
    Ok(ReaderApplication {
        status: ReaderStatus::Selected,
        model_id: Some(change.model_id.trim().to_string()),
        units: change.units,
        applied_on: Some(today),
        version: current.version + 1,
    })
}

/// The rule for an operator's change: [`apply_change`], except that a supervisor
/// (`may_reinstate`) reopens a cancelled application with [`reinstate`].
pub fn change_rule(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    current: &ReaderApplication,
    change: &ReaderChange,
    may_reinstate: bool,
) -> Result<ReaderApplication, RuleError> {
    if may_reinstate && current.status == ReaderStatus::Cancelled {
        reinstate(policy, today, kind, current, change)
    } else {
        apply_change(policy, today, kind, current, change)
    }
}

/// The only status the deadline batch can change: the store locks these and asks
/// [`cancel_past_deadline`] about each.
pub const DEADLINE_BATCH_CANDIDATES: ReaderStatus = ReaderStatus::Undecided;

/// Why the deadline batch cancelled an application, as the 変更履歴 records it.
pub const DEADLINE_CANCEL_REASON: &str = "機種未定のまま選定期限を過ぎたためキャンセル";

/// The business date the deadline batch applies [`cancel_past_deadline`] as of: `today` once
/// the deadline has passed. Before it, a dry run counts what the batch will cancel on the
/// first day after the deadline, and a real run is refused.
pub fn deadline_batch_date(policy: &Policy, today: NaiveDate, dry_run: bool) -> Result<NaiveDate, RuleError> {
    if policy.deadline_passed(today) {
        return Ok(today);
    }
    if !dry_run {
        return Err(refused(format!(
            "機種選定の期限（{}）がまだ来ていないので、締切処理はできません（試算 dry_run はできます）",
            policy.selection_deadline.format("%Y年%-m月%-d日")
        )));
    }
    Ok(policy.selection_deadline.succ_opt().unwrap_or(policy.selection_deadline))
}

/// The deadline batch's rule: a 機種未定 application on a `today` after the selection deadline
/// becomes キャンセル (`Some`, model cleared); anything else is left alone (`None`).
pub fn cancel_past_deadline(
    policy: &Policy,
    today: NaiveDate,
    current: &ReaderApplication,
) -> Option<ReaderApplication> {
    (current.status == DEADLINE_BATCH_CANDIDATES && policy.deadline_passed(today)).then(|| {
        ReaderApplication {
            status: ReaderStatus::Cancelled,
            model_id: None,
            version: current.version + 1,
            ..current.clone()
        }
    })
}

/// One sentence (or two) for the operator about what the rules say about `app` today:
/// the deadline and days left, the free units, what happens past the deadline.
pub fn rule_note(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    app: &ReaderApplication,
) -> String {
    let free = policy.free_units(kind);
    let deadline = format_date_ja(policy.selection_deadline);
    let days = policy.days_left(today);
    match app.status {
        ReaderStatus::NotApplied => format!(
            "未申込です。{}は{}台まで無償で提供されます。機種を選んでお申込みいただけます。",
            kind.label_ja(),
            free
        ),
        ReaderStatus::Undecided if days > 0 => format!(
            "機種未定です。機種選定の期限は{deadline}で、あと{days}日です。期限までに機種を選ばないとお申込みはキャンセル扱いになります。"
        ),
        ReaderStatus::Undecided if days == 0 => format!(
            "機種未定です。本日{deadline}が機種選定の期限です。本日中に機種を選ばないとお申込みはキャンセル扱いになります。"
        ),
        ReaderStatus::Undecided => format!(
            "機種未定のまま機種選定の期限（{deadline}）を過ぎたため、このお申込みはキャンセル扱いです。新たにお申込みいただく必要があります。"
        ),
        ReaderStatus::Selected => format!(
            "機種選定済です。発送までは機種と台数を変更できます（{}は{}台まで無償）。",
            kind.label_ja(),
            free
        ),
        ReaderStatus::Shipped => {
            "発送済です。機種や台数は変更できません。追加の台数は販売店からのご購入になります。".to_string()
        }
        ReaderStatus::Cancelled => {
            "キャンセル済です。オペレーターは変更できません。再開はスーパーバイザーが行います。".to_string()
        }
    }
}

fn refused(message: String) -> RuleError {
    RuleError::Refused(message)
}

fn check_units(policy: &Policy, kind: InstitutionKind, units: u32) -> Result<(), RuleError> {
    let free = policy.free_units(kind);
    if units == 0 {
        return Err(refused("台数は1台以上で指定してください。".to_string()));
    }
    if units > free {
        return Err(refused(quota_message(kind, free)));
    }
    Ok(())
}

fn check_change(policy: &Policy, kind: InstitutionKind, change: &ReaderChange) -> Result<(), RuleError> {
    if change.model_id.trim().is_empty() {
        return Err(refused("機種を選んでください。機種未定への変更はできません。".to_string()));
    }
    check_units(policy, kind, change.units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstitutionKind::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn app(status: ReaderStatus, model: Option<&str>, units: u32) -> ReaderApplication {
        ReaderApplication {
            status,
            model_id: model.map(str::to_string),
            units,
            applied_on: Some(d(2021, 3, 1)),
            version: 4,
        }
    }

    fn change(model: &str, units: u32) -> ReaderChange {
        ReaderChange { model_id: model.to_string(), units }
    }

    const JULY: (i32, u32, u32) = (2021, 7, 15);

    fn july() -> NaiveDate {
        d(JULY.0, JULY.1, JULY.2)
    }

    #[test]
    fn new_application_names_a_model_and_is_selected() {
        let p = Policy::builtin();
        let after =
            apply_change(&p, july(), Hospital, &ReaderApplication::not_applied(), &change("caora", 2))
                .unwrap();
        assert_eq!(after.status, ReaderStatus::Selected);
        assert_eq!(after.model_id.as_deref(), Some("caora"));
        assert_eq!(after.units, 2);
        assert_eq!(after.applied_on, Some(july()));
        assert_eq!(after.version, 1);
    }

    #[test]
    fn undecided_selects_until_the_deadline_inclusive() {
        let p = Policy::builtin();
        let cur = app(ReaderStatus::Undecided, None, 1);
        for day in [d(2021, 4, 1), july(), d(2021, 8, 1)] {
            let after = apply_change(&p, day, MedicalClinic, &cur, &change("smapa", 1)).unwrap();
            assert_eq!(after.status, ReaderStatus::Selected);
            assert_eq!(after.applied_on, Some(d(2021, 3, 1)), "keeps the original date");
            assert_eq!(after.version, 5);
        }
    }

    #[test]
    fn undecided_past_the_deadline_is_refused_and_says_what_happens() {
        let p = Policy::builtin();
        let cur = app(ReaderStatus::Undecided, None, 1);
        let err = apply_change(&p, d(2021, 8, 2), MedicalClinic, &cur, &change("smapa", 1)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("2021年8月1日（日）"), "{msg}");
        assert!(msg.contains("キャンセル扱い"), "{msg}");
    }

    #[test]
    fn the_deadline_follows_the_policy() {
        let mut p = Policy::builtin();
        p.selection_deadline = d(2021, 6, 30);
        let cur = app(ReaderStatus::Undecided, None, 1);
        assert!(apply_change(&p, july(), Pharmacy, &cur, &change("smapa", 1)).is_err());
    }

    #[test]
    fn quotas() {
        let p = Policy::builtin();
        let none = ReaderApplication::not_applied();
        assert!(apply_change(&p, july(), Hospital, &none, &change("m", 3)).is_ok());
        let err = apply_change(&p, july(), Hospital, &none, &change("m", 4)).unwrap_err();
        assert_eq!(err.to_string(), "病院の無償提供は3台までです。4台目以降は販売店からのご購入になります。");
        for kind in [MedicalClinic, DentalClinic, Pharmacy] {
            assert!(apply_change(&p, july(), kind, &none, &change("m", 1)).is_ok());
            let err = apply_change(&p, july(), kind, &none, &change("m", 2)).unwrap_err();
            assert!(err.to_string().starts_with(&format!("{}の無償提供は1台まで", kind.label_ja())));
        }
        let err = apply_change(&p, july(), Hospital, &none, &change("m", 0)).unwrap_err();
        assert!(err.to_string().contains("1台以上"));
    }

    #[test]
    fn selected_changes_until_shipped() {
        let p = Policy::builtin();
        let cur = app(ReaderStatus::Selected, Some("caora"), 1);
        let after = apply_change(&p, d(2021, 9, 1), Hospital, &cur, &change("smapa", 3)).unwrap();
        assert_eq!(
            (after.status, after.model_id.as_deref(), after.units),
            (ReaderStatus::Selected, Some("smapa"), 3)
        );
        // The selection deadline does not apply to an application that already has a model.
        assert!(apply_change(&p, d(2021, 9, 1), Hospital, &cur, &change("caora", 2)).is_ok());
        let err = apply_change(&p, july(), Hospital, &cur, &change("caora", 1)).unwrap_err();
        assert!(err.to_string().contains("同じ"));
    }

    #[test]
    fn shipped_and_cancelled_are_refused_for_operators() {
        let p = Policy::builtin();
        let shipped = app(ReaderStatus::Shipped, Some("caora"), 1);
        let err = apply_change(&p, july(), Pharmacy, &shipped, &change("smapa", 1)).unwrap_err();
        assert!(err.to_string().contains("発送済み"));
        let cancelled = app(ReaderStatus::Cancelled, None, 1);
        let err = apply_change(&p, july(), Pharmacy, &cancelled, &change("smapa", 1)).unwrap_err();
        assert!(err.to_string().contains("キャンセル済み"));
        assert!(err.to_string().contains("スーパーバイザー"));
    }

    #[test]
    fn empty_model_is_refused() {
        let p = Policy::builtin();
        let err = apply_change(&p, july(), Pharmacy, &ReaderApplication::not_applied(), &change("  ", 1))
            .unwrap_err();
        assert!(err.to_string().contains("機種を選んで"));
    }

    #[test]
    fn only_who_may_reinstate_reopens_a_cancellation() {
        let p = Policy::builtin();
        let cancelled = app(ReaderStatus::Cancelled, None, 1);
        assert!(change_rule(&p, july(), DentalClinic, &cancelled, &change("caora", 1), false).is_err());
        let a = change_rule(&p, july(), DentalClinic, &cancelled, &change("caora", 1), true).unwrap();
        assert_eq!(a.status, ReaderStatus::Selected);
        let undecided = app(ReaderStatus::Undecided, None, 1);
        let a = change_rule(&p, july(), DentalClinic, &undecided, &change("caora", 1), true).unwrap();
        assert_eq!(a.status, ReaderStatus::Selected);
    }

    #[test]
    fn reinstate_only_from_cancelled() {
        let p = Policy::builtin();
        let cancelled = app(ReaderStatus::Cancelled, None, 1);
        let a = reinstate(&p, d(2021, 8, 10), DentalClinic, &cancelled, &change("caora", 1)).unwrap();
        assert_eq!((a.status, a.applied_on, a.version), (ReaderStatus::Selected, Some(d(2021, 8, 10)), 5));
        assert!(reinstate(&p, july(), DentalClinic, &cancelled, &change("caora", 2)).is_err());
        let shipped = app(ReaderStatus::Shipped, Some("caora"), 1);
        assert!(reinstate(&p, july(), DentalClinic, &shipped, &change("caora", 1)).is_err());
    }

    #[test]
    fn deadline_batch_cancels_only_undecided_after_the_deadline() {
        let p = Policy::builtin();
        let undecided = app(ReaderStatus::Undecided, None, 2);
        assert_eq!(cancel_past_deadline(&p, d(2021, 8, 1), &undecided), None);
        let c = cancel_past_deadline(&p, d(2021, 8, 2), &undecided).unwrap();
        assert_eq!((c.status, c.units, c.version), (ReaderStatus::Cancelled, 2, 5));
        for s in
            [ReaderStatus::NotApplied, ReaderStatus::Selected, ReaderStatus::Shipped, ReaderStatus::Cancelled]
        {
            assert_eq!(cancel_past_deadline(&p, d(2021, 9, 1), &app(s, Some("x"), 1)), None);
        }
    }

    #[test]
    fn deadline_batch_runs_after_the_deadline_and_dry_runs_as_of_the_day_after() {
        let p = Policy::builtin();
        assert_eq!(deadline_batch_date(&p, d(2021, 8, 2), false), Ok(d(2021, 8, 2)));
        assert_eq!(deadline_batch_date(&p, d(2021, 8, 9), true), Ok(d(2021, 8, 9)));
        for today in [july(), d(2021, 8, 1)] {
            let err = deadline_batch_date(&p, today, false).unwrap_err();
            assert!(err.to_string().contains("2021年8月1日）がまだ来ていない"), "{err}");
            // A dry run before the deadline counts what the batch will cancel once it is past.
            let as_of = deadline_batch_date(&p, today, true).unwrap();
            assert_eq!(as_of, d(2021, 8, 2));
            assert!(cancel_past_deadline(&p, as_of, &app(ReaderStatus::Undecided, None, 1)).is_some());
        }
    }

    #[test]
    fn rule_notes_say_deadline_days_and_what_happens() {
        let p = Policy::builtin();
        let undecided = app(ReaderStatus::Undecided, None, 1);
        let n = rule_note(&p, d(2021, 7, 22), Hospital, &undecided);
        assert!(
            n.contains("2021年8月1日（日）") && n.contains("あと10日") && n.contains("キャンセル扱い"),
            "{n}"
        );
        let n = rule_note(&p, d(2021, 8, 1), Hospital, &undecided);
        assert!(n.contains("本日"), "{n}");
        let n = rule_note(&p, d(2021, 8, 2), Hospital, &undecided);
        assert!(n.contains("過ぎた") && n.contains("キャンセル扱い"), "{n}");
        let n = rule_note(&p, july(), Hospital, &ReaderApplication::not_applied());
        assert!(n.contains("病院は3台まで無償"), "{n}");
        let n = rule_note(&p, july(), Pharmacy, &app(ReaderStatus::Selected, Some("m"), 1));
        assert!(n.contains("薬局は1台まで無償"), "{n}");
        assert!(
            rule_note(&p, july(), Pharmacy, &app(ReaderStatus::Shipped, Some("m"), 1)).contains("発送済")
        );
        assert!(
            rule_note(&p, july(), Pharmacy, &app(ReaderStatus::Cancelled, None, 1)).contains("キャンセル済")
        );
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            ReaderStatus::NotApplied,
            ReaderStatus::Undecided,
            ReaderStatus::Selected,
            ReaderStatus::Shipped,
            ReaderStatus::Cancelled,
        ] {
            assert_eq!(ReaderStatus::parse(s.as_str()), Some(s));
        }
    }
}
