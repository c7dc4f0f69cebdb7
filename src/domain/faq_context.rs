//! What a caller is likely to ask, from the state of their institution: the words of a FAQ
//! question that the console's suggestions (`GET /v1/faq/suggest`) rank entries by, before the
//! operator has typed anything. A 機種未定 application near the deadline asks about the
//! deadline and how to choose; a hospital asks about its free units; a returned subsidy claim
//! asks what to fix. Pure: the route gathers the state, the FAQ index ranks the words.

use super::{InstitutionKind, ReaderStatus, SubsidyStatus};

/// The state of one institution as the suggestions need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaqContext {
    pub kind: InstitutionKind,
    /// A pharmacy of a large chain (its subsidy differs).
    pub large_chain: bool,
    pub status: ReaderStatus,
    pub units: u32,
    /// Days from the business date to the model-selection deadline (negative once past).
    pub days_left: i64,
    /// The subsidy claim's status, `None` when there is no claim.
    pub subsidy: Option<SubsidyStatus>,
}

/// Days left under which a 機種未定 application is "near the deadline".
const NEAR_DEADLINE_DAYS: i64 = 30;

/// The question words this state makes likely, most likely first, separated by spaces.
pub fn context_query(c: &FaqContext) -> String {
    let mut words: Vec<&str> = Vec::new();
    match c.status {
        ReaderStatus::Undecided if c.days_left < 0 => {
            words.extend(["機種未定", "期限", "過ぎた", "キャンセル"])
        }
        ReaderStatus::Undecided if c.days_left <= NEAR_DEADLINE_DAYS => {
            words.extend(["機種未定", "いつまで", "機種", "選ぶ", "期限"])
        }
        ReaderStatus::Undecided => words.extend(["機種未定", "機種", "選ぶ"]),
        ReaderStatus::NotApplied => words.extend(["カードリーダー", "申し込み", "方法"]),
        ReaderStatus::Selected => words.extend(["選んだ", "機種", "変更"]),
        ReaderStatus::Shipped => words.extend(["発送済み", "機種", "変える"]),
        ReaderStatus::Cancelled => words.extend(["キャンセル", "申込", "元に戻す"]),
    }
    if c.kind == InstitutionKind::Hospital && c.status != ReaderStatus::NotApplied {
        words.extend(["病院", "台数"]);
        if c.units > 1 {
            words.push("何台まで");
        }
    }
    match c.subsidy {
        Some(SubsidyStatus::Returned) => words.extend(["補助金", "不備返戻"]),
        Some(SubsidyStatus::Submitted | SubsidyStatus::UnderReview) => {
            words.extend(["補助金", "申請", "流れ"])
        }
        Some(SubsidyStatus::Approved) => words.extend(["補助金", "いつ", "支払われる"]),
        Some(SubsidyStatus::Paid) => {}
        None if c.status == ReaderStatus::Shipped => words.extend(["補助金", "申請", "方法"]),
        None => {}
    }
    if c.kind == InstitutionKind::Pharmacy && c.large_chain && c.subsidy.is_none() {
        words.push("大型チェーン薬局");
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(status: ReaderStatus, days_left: i64) -> FaqContext {
        FaqContext {
            kind: InstitutionKind::MedicalClinic,
            large_chain: false,
            status,
            units: 1,
            days_left,
            subsidy: None,
        }
    }

    #[test]
    fn undecided_near_the_deadline_asks_about_the_deadline() {
        let q = context_query(&ctx(ReaderStatus::Undecided, 17));
        assert!(q.starts_with("機種未定 いつまで"), "{q}");
        assert!(context_query(&ctx(ReaderStatus::Undecided, -1)).contains("キャンセル"));
        assert!(!context_query(&ctx(ReaderStatus::Undecided, 90)).contains("いつまで"));
    }

    #[test]
    fn hospitals_units_and_subsidy_add_their_words() {
        let mut c = ctx(ReaderStatus::Selected, 17);
        c.kind = InstitutionKind::Hospital;
        c.units = 2;
        c.subsidy = Some(SubsidyStatus::Returned);
        let q = context_query(&c);
        for w in ["病院", "何台まで", "不備返戻"] {
            assert!(q.contains(w), "{w} in {q}");
        }
        assert!(!context_query(&ctx(ReaderStatus::NotApplied, 17)).contains("病院"));
    }
}
