//! Building the operator-facing views of the API (`ReaderApplicationView`,
//! `InstitutionDetail`) from stored rows, the policy and the business date, with the
//! sentences that tell an operator what the rules say today.

use chrono::NaiveDate;

use crate::api::{InstitutionDetail, ReaderApplicationView};
use crate::domain::{
    CodeCheck, Institution, InstitutionKind, Policy, ReaderApplication, ReaderModel, ReaderStatus,
};

/// Free readers for this kind of institution under the policy.
pub fn free_units(policy: &Policy, kind: InstitutionKind) -> u32 {
    match kind {
        InstitutionKind::Hospital => policy.free_units_hospital,
        _ => policy.free_units_other,
    }
}

/// The application as the operator sees it today.
pub fn application_view(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    application: ReaderApplication,
    models: &[ReaderModel],
) -> ReaderApplicationView {
    let deadline = policy.selection_deadline;
    let days_left = (deadline - today).num_days();
    let model = application.model_id.as_ref().and_then(|id| models.iter().find(|m| &m.id == id)).cloned();
    let rule_note = rule_note(application.status, deadline, days_left);
    ReaderApplicationView {
        application,
        model,
        free_units: free_units(policy, kind),
        selection_deadline: deadline,
        days_left,
        rule_note,
    }
}

/// What the rules say about an application in this state, in a sentence to read aloud.
pub fn rule_note(status: ReaderStatus, deadline: NaiveDate, days_left: i64) -> String {
    let d = deadline.format("%Y年%-m月%-d日");
    match status {
        ReaderStatus::NotApplied => {
            "カードリーダーの申込はありません。申込はポータルサイトから行えます。".to_string()
        }
        ReaderStatus::Undecided if days_left > 0 => format!(
            "機種未定です。{d}までに機種を選んでください（あと{days_left}日）。選ばれないままだとキャンセル扱いになります。"
        ),
        ReaderStatus::Undecided if days_left == 0 => {
            format!(
                "機種未定です。今日（{d}）が機種選定の期限です。選ばれないままだとキャンセル扱いになります。"
            )
        }
        ReaderStatus::Undecided => {
            format!("機種選定の期限（{d}）を過ぎました。機種未定のままの申込は締切処理でキャンセルされます。")
        }
        ReaderStatus::Selected => "機種選定済です。発送前なので機種・台数を変更できます。".to_string(),
        ReaderStatus::Shipped => "発送済のため、機種・台数は変更できません。".to_string(),
        ReaderStatus::Cancelled => "キャンセル済です。申込し直しは監督者に相談してください。".to_string(),
    }
}

/// The warning shown beside a code whose check digit is not the expected one.
pub fn check_digit_warning(check: &CodeCheck) -> Option<String> {
    check.expected_check_digit.map(|d| {
        format!(
            "検証番号（末尾の数字）が規則と合いません（規則どおりなら {d}）。実在するコードにもあるので、名称と住所で確かめてください。"
        )
    })
}

/// The header of the institution screen.
pub fn institution_detail(
    check: &CodeCheck,
    institution: Institution,
    application: ReaderApplicationView,
) -> InstitutionDetail {
    InstitutionDetail {
        code: institution.code.as_str().to_string(),
        check_digit_warning: check_digit_warning(check),
        name: institution.name,
        name_kana: institution.name_kana,
        kana_inferred: institution.kana_inferred,
        kind: institution.kind,
        prefecture: institution.prefecture,
        city: institution.city,
        postal_code: institution.postal_code,
        address: institution.address,
        phone: institution.phone,
        large_chain: institution.large_chain,
        reader_application: application,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn undecided_note_counts_days_and_says_what_happens_after() {
        let deadline = date(2021, 8, 1);
        assert!(rule_note(ReaderStatus::Undecided, deadline, 17).contains("あと17日"));
        assert!(rule_note(ReaderStatus::Undecided, deadline, 0).contains("今日"));
        assert!(rule_note(ReaderStatus::Undecided, deadline, -1).contains("過ぎました"));
    }

    #[test]
    fn view_counts_days_to_the_deadline_and_free_units() {
        let policy = Policy::default();
        let v = application_view(
            &policy,
            date(2021, 7, 15),
            InstitutionKind::Hospital,
            ReaderApplication::not_applied(),
            &[],
        );
        assert_eq!(v.days_left, 17);
        assert_eq!(v.free_units, 3);
        assert!(v.model.is_none());
    }
}
