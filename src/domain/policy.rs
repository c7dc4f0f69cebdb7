//! The policy: dates, quotas and the subsidy table, loaded from a TOML file whose built-in
//! default (`policy/default.toml`, embedded) holds the seed notice's values. All dates are
//! Japan time (Asia/Tokyo, UTC+9), whatever the server's time zone.

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::call::WrapUpReason;
use super::campaign::CampaignPolicy;
use super::floor::FloorPolicy;
use super::{InstitutionKind, RuleError};

/// The built-in policy file, the seed notice's values (MHLW 事務連絡 2021-06-30).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../policy/default.toml");

/// Every number a rule depends on, so that a new notice changes a file, not the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// First day 機種未定 applications were accepted (2021-02-01).
    pub undecided_window_start: NaiveDate,
    /// Last day 機種未定 applications were accepted (2021-03-31).
    pub undecided_window_end: NaiveDate,
    /// Last day (inclusive) to choose the model of a 機種未定 application (2021-08-01).
    pub selection_deadline: NaiveDate,
    /// Free readers for a hospital (3).
    pub free_units_hospital: u32,
    /// Free readers for every other kind (1).
    pub free_units_other: u32,
    /// Minutes after it is made that a call-back is due when the operator gives no time (60).
    #[serde(default = "default_callback_due_minutes")]
    pub callback_due_minutes: u32,
    /// 応対の理由, in the order the console numbers them (a policy file from before the list
    /// existed gets the built-in one).
    #[serde(default = "default_wrap_up_reasons")]
    pub wrap_up_reason: Vec<WrapUpReason>,
    /// The subsidy table (別添3), one row per kind / large-chain / units combination.
    pub subsidy: Vec<SubsidyRow>,
    /// The SSH door's session rules (`[ssh]`; built-in values when absent).
    #[serde(default)]
    pub ssh: SshPolicy,
    /// 架電キャンペーン: attempts, lease, retries, callable hours (a file without it gets the
    /// built-in section).
    #[serde(default = "default_campaign")]
    pub campaign: CampaignPolicy,
    /// The floor's limits and away reasons (`[floor]`; a file without it gets the built-in one).
    #[serde(default)]
    pub floor: FloorPolicy,
}

/// How long an SSH console may sit unused and how many one operator may hold: rules of the
/// floor (a manager sets them), not of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshPolicy {
    /// Minutes without a keystroke after which a console session is closed (generous: an
    /// operator may sit on a long call without typing); 0 = never.
    pub idle_minutes: u32,
    /// Console sessions one operator may have open at once (a second desk, a reconnect
    /// while the dropped session is still being noticed); 0 = no limit.
    pub max_sessions_per_operator: u32,
}

impl Default for SshPolicy {
    fn default() -> SshPolicy {
        SshPolicy { idle_minutes: 240, max_sessions_per_operator: 4 }
    }
}

/// One row of the subsidy table: which institutions it covers and how much it pays.
/// It exists as data so that a new notice (the 2022 expansion changed these rows) is a file edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyRow {
    /// Kinds this row applies to.
    pub kinds: Vec<InstitutionKind>,
    /// `Some(true)`: 大型チェーン薬局 only; `Some(false)`: pharmacies that are not large chains
    /// (and every other kind listed). Only pharmacies are told apart by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_chain: Option<bool>,
    /// Number of readers introduced.
    pub units: u32,
    /// 事業額 counted up to this amount (yen, tax included).
    pub cost_cap_yen: u64,
    /// Share of the counted cost paid: numerator (1 of 1/2).
    pub share_numerator: u64,
    /// Share of the counted cost paid: denominator (2 of 1/2).
    pub share_denominator: u64,
    /// The most this row ever pays (yen).
    pub max_yen: u64,
}

impl SubsidyRow {
    /// Whether this row covers an institution of `kind` (with `large_chain` for pharmacies)
    /// introducing `units` readers.
    pub fn covers(&self, kind: InstitutionKind, large_chain: bool, units: u32) -> bool {
        self.units == units
            && self.kinds.contains(&kind)
            && match (kind, self.large_chain) {
                (InstitutionKind::Pharmacy, Some(lc)) => lc == large_chain,
                _ => true,
            }
    }

    /// The payable amount for `cost_yen`: min(floor(min(cost, cap) × share), max), integer yen.
    pub fn payable(&self, cost_yen: u64) -> u64 {
        let counted = u128::from(cost_yen.min(self.cost_cap_yen));
        let share = counted * u128::from(self.share_numerator) / u128::from(self.share_denominator.max(1));
        (share.min(u128::from(self.max_yen))) as u64
    }
}

/// Why a policy file could not be used. Every variant names the file; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("ポリシーファイル {file} を読めません: {source}")]
    /// The file could not be read.
    Read {
        /// The policy file's path.
        file: String,
        /// Why reading failed.
        source: std::io::Error,
    },
    #[error("ポリシーファイル {file} の書式が正しくありません: {message}")]
    /// The file is not valid TOML for a policy.
    Parse {
        /// The policy file's path.
        file: String,
        /// What the parser said.
        message: String,
    },
    #[error("ポリシーファイル {file} の {key} が正しくありません: {message}")]
    /// A value breaks a rule.
    Invalid {
        /// The policy file's path.
        file: String,
        /// The key at fault.
        key: String,
        /// What to fix.
        message: String,
    },
}

fn default_callback_due_minutes() -> u32 {
    60
}

/// The built-in campaign section, for policy files written before it existed.
fn default_campaign() -> CampaignPolicy {
    Policy::builtin().campaign
}

/// The built-in wrap-up list, for policy files written before it existed.
fn default_wrap_up_reasons() -> Vec<WrapUpReason> {
    Policy::builtin().wrap_up_reason
}

/// Most wrap-up reasons a policy may list: the console picks them with the digits 1–9.
pub const MAX_WRAP_UP_REASONS: usize = 9;

impl Default for Policy {
    /// The built-in policy (`policy/default.toml`).
    fn default() -> Policy {
        Policy::builtin()
    }
}

impl Policy {
    /// The built-in policy, parsed from the embedded `policy/default.toml`. A unit test proves
    /// the embedded file parses and holds the seed's values, so this cannot fail at run time.
    pub fn builtin() -> Policy {
        Policy::from_toml_named(DEFAULT_POLICY_TOML, "policy/default.toml (built in)")
            .expect("the embedded policy/default.toml is valid (tested)")
    }

    /// Parses a policy from TOML text (errors name the key; the file is called `<text>`).
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_toml_named(text, "<text>")
    }

    /// Reads and checks a policy file; errors name the file and the key at fault.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| PolicyError::Read { file: file.clone(), source })?;
        Policy::from_toml_named(&text, &file)
    }

    fn from_toml_named(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError::Parse {
            file: file.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        policy.validate(file)?;
        Ok(policy)
    }

    /// Checks the relations between values that TOML types cannot express.
    fn validate(&self, file: &str) -> Result<(), PolicyError> {
        let invalid = |key: &str, message: &str| PolicyError::Invalid {
            file: file.to_string(),
            key: key.to_string(),
            message: message.to_string(),
        };
        if self.undecided_window_end < self.undecided_window_start {
            return Err(invalid(
                "undecided_window_end",
                "undecided_window_start より前の日付です。受付期間の終わりは始まり以降にしてください",
            ));
        }
        if self.selection_deadline < self.undecided_window_end {
            return Err(invalid(
                "selection_deadline",
                "機種未定の受付期間の終わりより前の日付です。期限は受付期間の後にしてください",
            ));
        }
        if self.free_units_hospital == 0 {
            return Err(invalid("free_units_hospital", "1 以上にしてください"));
        }
        if self.free_units_other == 0 {
            return Err(invalid("free_units_other", "1 以上にしてください"));
        }
        if self.wrap_up_reason.is_empty() {
            return Err(invalid("wrap_up_reason", "応対の理由を少なくとも1つ書いてください"));
        }
        if self.wrap_up_reason.len() > MAX_WRAP_UP_REASONS {
            return Err(invalid(
                "wrap_up_reason",
                &format!("応対の理由は{MAX_WRAP_UP_REASONS}個までです（コンソールで数字キー1〜9で選ぶため）"),
            ));
        }
        for (i, r) in self.wrap_up_reason.iter().enumerate() {
            let key = |field: &str| format!("wrap_up_reason[{i}].{field}");
            let id_ok = !r.id.is_empty()
                && r.id.len() <= 32
                && r.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                return Err(invalid(
                    &key("id"),
                    "英小文字・数字・_ で32文字までにしてください（例: subsidy）",
                ));
            }
            if self.wrap_up_reason[..i].iter().any(|p| p.id == r.id) {
                return Err(invalid(
                    &key("id"),
                    &format!("「{}」が2回あります。id は一意にしてください", r.id),
                ));
            }
            if r.label.trim().is_empty() {
                return Err(invalid(&key("label"), "表示名を書いてください（例: 補助金）"));
            }
        }
        if let Err((key, message)) = self.floor.check() {
            return Err(invalid(&key, &message));
        }
        if self.callback_due_minutes == 0 || i64::from(self.callback_due_minutes) > 24 * 60 {
            return Err(invalid("callback_due_minutes", "1〜1440（分）にしてください"));
        }
        for (i, row) in self.subsidy.iter().enumerate() {
            let key = |field: &str| format!("subsidy[{i}].{field}");
            if row.share_denominator == 0 {
                return Err(invalid(&key("share_denominator"), "0 は使えません（例: 1/2 なら 2）"));
            }
            if row.share_numerator > row.share_denominator {
                return Err(invalid(&key("share_numerator"), "share_denominator 以下にしてください"));
            }
            if row.kinds.is_empty() {
                return Err(invalid(&key("kinds"), "少なくとも1つの種別を書いてください"));
            }
            if row.units == 0 {
                return Err(invalid(&key("units"), "1 以上にしてください"));
            }
        }
        let ids: Vec<&str> = self.wrap_up_reason.iter().map(|r| r.id.as_str()).collect();
        if let Err((key, message)) = self.campaign.validate(&ids) {
            return Err(invalid(&key, &message));
        }
        // Every kind needs a row for every number of free units it may introduce.
        for kind in InstitutionKind::ALL {
            for units in 1..=self.free_units(kind) {
                let chains: &[bool] =
                    if kind == InstitutionKind::Pharmacy { &[false, true] } else { &[false] };
                for &lc in chains {
                    if !self.subsidy.iter().any(|r| r.covers(kind, lc, units)) {
                        return Err(invalid(
                            "subsidy",
                            &format!(
                                "{}{}・{}台の行がありません",
                                if lc { "大型チェーン" } else { "" },
                                kind.label_ja(),
                                units
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// How many readers `kind` gets free (hospital 3, others 1 by default).
    pub fn free_units(&self, kind: InstitutionKind) -> u32 {
        match kind {
            InstitutionKind::Hospital => self.free_units_hospital,
            _ => self.free_units_other,
        }
    }

    /// Days from `today` to the selection deadline: 0 on the deadline itself, negative after.
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.selection_deadline - today).num_days()
    }

    /// True once `today` is after the (inclusive) selection deadline.
    pub fn deadline_passed(&self, today: NaiveDate) -> bool {
        today > self.selection_deadline
    }

    /// True when a 機種未定 application could be made on `day`.
    pub fn undecided_window_open(&self, day: NaiveDate) -> bool {
        (self.undecided_window_start..=self.undecided_window_end).contains(&day)
    }

    /// The subsidy row for this institution and number of units, or the reason there is none.
    pub fn subsidy_row(
        &self,
        kind: InstitutionKind,
        large_chain: bool,
        units: u32,
    ) -> Result<&SubsidyRow, RuleError> {
        let free = self.free_units(kind);
        if units == 0 {
            return Err(RuleError::Refused("台数は1台以上で指定してください。".into()));
        }
        if units > free {
            return Err(RuleError::Refused(quota_message(kind, free)));
        }
        self.subsidy.iter().find(|r| r.covers(kind, large_chain, units)).ok_or_else(|| {
            RuleError::Refused(format!(
                "{}の{}台導入の補助金の区分がポリシーにありません。スーパーバイザーに確認してください。",
                kind.label_ja(),
                units
            ))
        })
    }
}

/// The refusal for more readers than the free quota, e.g.
/// 「病院の無償提供は3台までです。4台目以降は販売店からのご購入になります。」
pub fn quota_message(kind: InstitutionKind, free: u32) -> String {
    format!(
        "{}の無償提供は{}台までです。{}台目以降は販売店からのご購入になります。",
        kind.label_ja(),
        free,
        free + 1
    )
}

/// The business date in Japan (UTC+9, no daylight saving) at instant `now`, whatever the
/// server's own time zone.
pub fn japan_today(now: DateTime<Utc>) -> NaiveDate {
    super::jst::local(now).date()
}

/// A date as an operator reads it: 「2021年8月1日（日）」.
pub fn format_date_ja(day: NaiveDate) -> String {
    let wd = match day.weekday() {
        Weekday::Mon => "月",
        Weekday::Tue => "火",
        Weekday::Wed => "水",
        Weekday::Thu => "木",
        Weekday::Fri => "金",
        Weekday::Sat => "土",
        Weekday::Sun => "日",
    };
    format!("{}年{}月{}日（{}）", day.year(), day.month(), day.day(), wd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn row(
        kinds: &[InstitutionKind],
        lc: Option<bool>,
        units: u32,
        cap: u64,
        n: u64,
        den: u64,
        max: u64,
    ) -> SubsidyRow {
        SubsidyRow {
            kinds: kinds.to_vec(),
            large_chain: lc,
            units,
            cost_cap_yen: cap,
            share_numerator: n,
            share_denominator: den,
            max_yen: max,
        }
    }

    #[test]
    fn builtin_policy_holds_the_seed_values() {
        use InstitutionKind::*;
        let expected = Policy {
            undecided_window_start: d(2021, 2, 1),
            undecided_window_end: d(2021, 3, 31),
            selection_deadline: d(2021, 8, 1),
            free_units_hospital: 3,
            free_units_other: 1,
            callback_due_minutes: 60,
            ssh: SshPolicy::default(),
            wrap_up_reason: [
                ("model", "機種選定・変更", true),
                ("subsidy", "補助金", false),
                ("status", "申込状況の確認", false),
                ("portal", "ポータル操作", false),
                ("system", "オンライン資格確認の仕組み", false),
                ("other", "その他", false),
            ]
            .into_iter()
            .map(|(id, label, on_change)| WrapUpReason { id: id.into(), label: label.into(), on_change })
            .collect(),
            subsidy: vec![
                row(&[Hospital], None, 1, 2_101_000, 1, 2, 1_050_000),
                row(&[Hospital], None, 2, 2_002_000, 1, 2, 1_001_000),
                row(&[Hospital], None, 3, 1_903_000, 1, 2, 951_000),
                row(&[Pharmacy], Some(true), 1, 429_000, 1, 2, 214_000),
                row(&[MedicalClinic, DentalClinic, Pharmacy], Some(false), 1, 429_000, 3, 4, 321_000),
            ],
            campaign: Policy::builtin().campaign,
            floor: FloorPolicy::default(),
        };
        assert_eq!(Policy::builtin(), expected);
        assert_eq!(Policy::default(), expected);
        assert_eq!(Policy::from_toml_str(DEFAULT_POLICY_TOML).unwrap(), expected);
    }

    #[test]
    fn free_units_per_kind() {
        let p = Policy::builtin();
        assert_eq!(p.free_units(InstitutionKind::Hospital), 3);
        assert_eq!(p.free_units(InstitutionKind::MedicalClinic), 1);
        assert_eq!(p.free_units(InstitutionKind::DentalClinic), 1);
        assert_eq!(p.free_units(InstitutionKind::Pharmacy), 1);
    }

    #[test]
    fn japan_today_is_utc_plus_nine() {
        // 2021-07-31 14:59:59 UTC is 23:59:59 on the 31st in Tokyo; one second later is the 1st.
        let before = Utc.with_ymd_and_hms(2021, 7, 31, 14, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2021, 7, 31, 15, 0, 0).unwrap();
        assert_eq!(japan_today(before), d(2021, 7, 31));
        assert_eq!(japan_today(after), d(2021, 8, 1));
        assert_eq!(japan_today(Utc.with_ymd_and_hms(2021, 8, 1, 0, 0, 0).unwrap()), d(2021, 8, 1));
    }

    #[test]
    fn days_left_and_deadline() {
        let p = Policy::builtin();
        assert_eq!(p.days_left(d(2021, 7, 1)), 31);
        assert_eq!(p.days_left(d(2021, 8, 1)), 0);
        assert_eq!(p.days_left(d(2021, 8, 2)), -1);
        assert!(!p.deadline_passed(d(2021, 8, 1)));
        assert!(p.deadline_passed(d(2021, 8, 2)));
        assert!(p.undecided_window_open(d(2021, 2, 1)));
        assert!(p.undecided_window_open(d(2021, 3, 31)));
        assert!(!p.undecided_window_open(d(2021, 1, 31)));
        assert!(!p.undecided_window_open(d(2021, 4, 1)));
    }

    #[test]
    fn dates_read_in_japanese() {
        assert_eq!(format_date_ja(d(2021, 8, 1)), "2021年8月1日（日）");
        assert_eq!(format_date_ja(d(2021, 7, 9)), "2021年7月9日（金）");
    }

    #[test]
    fn syntax_error_names_the_file_and_key() {
        let text = DEFAULT_POLICY_TOML.replace("free_units_other = 1", "free_units_other = \"one\"");
        let err = Policy::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("<text>"), "{err}");
        assert!(err.contains("free_units_other"), "{err}");
    }

    #[test]
    fn bad_date_names_the_key() {
        let text = DEFAULT_POLICY_TOML.replace("\"2021-08-01\"", "\"2021-08-32\"");
        let err = Policy::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("selection_deadline"), "{err}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let text = format!("selection_deadlin = \"2021-08-01\"\n{DEFAULT_POLICY_TOML}");
        let err = Policy::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("selection_deadlin"), "{err}");
    }

    #[test]
    fn inconsistent_values_are_refused_with_the_key() {
        let text = DEFAULT_POLICY_TOML.replace("\"2021-08-01\"", "\"2021-03-01\"");
        match Policy::from_toml_str(&text) {
            Err(PolicyError::Invalid { key, .. }) => assert_eq!(key, "selection_deadline"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        let text = DEFAULT_POLICY_TOML.replace("share_denominator = 4", "share_denominator = 0");
        match Policy::from_toml_str(&text) {
            Err(PolicyError::Invalid { key, .. }) => assert_eq!(key, "subsidy[4].share_denominator"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        // Four free hospital readers but no row for four units.
        let text = DEFAULT_POLICY_TOML.replace("free_units_hospital = 3", "free_units_hospital = 4");
        let err = Policy::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("病院・4台"), "{err}");
    }

    #[test]
    fn wrap_up_list_is_checked() {
        let text = DEFAULT_POLICY_TOML.replace("id = \"other\"", "id = \"model\"");
        match Policy::from_toml_str(&text) {
            Err(PolicyError::Invalid { key, message, .. }) => {
                assert_eq!(key, "wrap_up_reason[5].id");
                assert!(message.contains("2回"), "{message}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        let text = DEFAULT_POLICY_TOML.replace("id = \"other\"", "id = \"その他\"");
        assert!(Policy::from_toml_str(&text).unwrap_err().to_string().contains("wrap_up_reason[5].id"));
        let text = DEFAULT_POLICY_TOML.replace("callback_due_minutes = 60", "callback_due_minutes = 0");
        assert!(Policy::from_toml_str(&text).unwrap_err().to_string().contains("callback_due_minutes"));
    }

    #[test]
    fn a_policy_file_without_the_new_keys_gets_the_builtin_ones() {
        let start = DEFAULT_POLICY_TOML.find("# 折り返し").unwrap();
        let end = DEFAULT_POLICY_TOML.find("# Subsidy of the other costs").unwrap();
        let old = format!("{}{}", &DEFAULT_POLICY_TOML[..start], &DEFAULT_POLICY_TOML[end..]);
        let p = Policy::from_toml_str(&old).unwrap();
        assert_eq!(p, Policy::builtin());
    }

    #[test]
    fn load_names_a_missing_file() {
        let err = Policy::load(Path::new("/nonexistent/policy.toml")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/policy.toml"), "{err}");
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, DEFAULT_POLICY_TOML.replace("\"2021-08-01\"", "\"2021-09-30\"")).unwrap();
        let p = Policy::load(&path).unwrap();
        assert_eq!(p.selection_deadline, d(2021, 9, 30));
    }
}
