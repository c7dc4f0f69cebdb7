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
        institution,
        check_digit_warning: check_digit_warning(check),
        reader_application: application,
        do_not_call: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InstitutionCode;

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

    #[test]
    fn detail_json_keeps_the_institution_fields_at_the_top_level() {
        let check = InstitutionCode::parse("1331500016").expect("code");
        let institution = Institution {
            code: check.code.clone(),
            name: "矢嶋歯科医院".into(),
            name_kana: None,
            kana_inferred: false,
            kind: InstitutionKind::DentalClinic,
            prefecture: "東京都".into(),
            city: "杉並区".into(),
            postal_code: "166-0001".into(),
            address: "阿佐谷北1-1-1".into(),
            phone: None,
            large_chain: false,
        };
        let policy = Policy::default();
        let view = application_view(
            &policy,
            date(2021, 7, 15),
            InstitutionKind::DentalClinic,
            ReaderApplication::not_applied(),
            &[],
        );
        let json = serde_json::to_value(institution_detail(&check, institution, view)).expect("json");
        assert_eq!(json["code"], "1331500016");
        assert_eq!(json["kind"], "dental_clinic");
        assert_eq!(json["postal_code"], "166-0001");
        assert!(json.get("institution").is_none(), "flattened, not nested");
        assert_eq!(json["reader_application"]["free_units"], 1);
    }
}
