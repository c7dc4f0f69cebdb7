//! Building the operator-facing views of the API (`ReaderApplicationView`,
//! `InstitutionDetail`) from stored rows, the policy and the business date, with the
//! domain's sentences that tell an operator what the rules say today.

use chrono::NaiveDate;

use crate::api::{InstitutionDetail, ReaderApplicationView};
use crate::domain::{
    CodeCheck, Institution, InstitutionKind, Policy, ReaderApplication, ReaderModel, reader,
};

/// The application as the operator sees it today.
pub fn application_view(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    application: ReaderApplication,
    models: &[ReaderModel],
) -> ReaderApplicationView {
    let model = application.model_id.as_ref().and_then(|id| models.iter().find(|m| &m.id == id)).cloned();
    let rule_note = reader::rule_note(policy, today, kind, &application);
    ReaderApplicationView {
        application,
        model,
        free_units: policy.free_units(kind),
        selection_deadline: policy.selection_deadline,
        days_left: policy.days_left(today),
        rule_note,
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
