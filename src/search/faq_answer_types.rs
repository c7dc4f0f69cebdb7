//! Question words → answer types: いくら asks for an amount, いつまで for a date, 何時 for a
//! time of day, 何台 for a count, どこ for a place, どうやって for a procedure.
//!
//! A question's type terms come from its question words; an entry's from what its answer
//! states (a sum in 円, a date, a time, a number with a counter, an office, an instruction).
//! Both are marked with `ANSWER_TYPE`, so they only meet each other, at the weight the index
//! gives them: among entries that share the question's words, the one that states the asked
//! kind of fact goes first.

/// First character of every answer-type term (a private-use character no text contains).
pub const ANSWER_TYPE: char = '\u{E002}';

/// The kinds of fact a question can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerType {
    /// How much (いくら, 料金, 上限額).
    Amount,
    /// When, a day (いつ, 期限, 締め切り).
    Date,
    /// At what time (何時).
    Time,
    /// How many (何台, 何回, 何人).
    Count,
    /// Where (どこ, 窓口).
    Place,
    /// How to do it (どうやって, 方法, やり方).
    Procedure,
}

impl AnswerType {
    const ALL: [AnswerType; 6] = [
        AnswerType::Amount,
        AnswerType::Date,
        AnswerType::Time,
        AnswerType::Count,
        AnswerType::Place,
        AnswerType::Procedure,
    ];

    /// The marked term for this type.
    pub fn term(self) -> String {
        let code = match self {
            AnswerType::Amount => 'a',
            AnswerType::Date => 'd',
            AnswerType::Time => 't',
            AnswerType::Count => 'c',
            AnswerType::Place => 'p',
            AnswerType::Procedure => 'h',
        };
        [ANSWER_TYPE, code].iter().collect()
    }

    /// Words in a question that ask for this type (matched in NFKC text).
    fn cues(self) -> &'static [&'static str] {
        match self {
            AnswerType::Amount => &["いくら", "何円", "料金", "費用", "手数料", "値段", "金額", "上限額"],
            AnswerType::Date => &["いつ", "何日", "何月", "期限", "締め切り", "締切", "しめきり"],
            AnswerType::Time => &["何時"],
            AnswerType::Count => &["何台", "何枚", "何回", "何人", "何通", "何点", "いくつ", "何割"],
            AnswerType::Place => &["どこ", "何処", "窓口"],
            AnswerType::Procedure => &[
                "どうやって",
                "どうすれば",
                "どうしたら",
                "どうする",
                "方法",
                "やり方",
                "仕方",
                "手続",
                "出し方",
                "捨て方",
            ],
        }
    }

    /// Whether an answer states a fact of this type.
    fn stated_in(self, answer: &[char]) -> bool {
        let after_digit = |units: &[&str]| {
            answer.iter().enumerate().any(|(i, c)| {
                c.is_ascii_digit()
                    && !answer.get(i + 1).is_some_and(char::is_ascii_digit)
                    && units.iter().any(|u| answer[i + 1..].starts_with(&u.chars().collect::<Vec<_>>()))
            })
        };
        let text: String = answer.iter().collect();
        match self {
            AnswerType::Amount => after_digit(&["円", "万円"]),
            AnswerType::Date => after_digit(&["年", "月", "日"]),
            AnswerType::Time => after_digit(&["時"]),
            AnswerType::Count => after_digit(&["台", "枚", "回", "人", "通", "点", "割"]),
            AnswerType::Place => {
                ["窓口", "役所", "市役所", "サイト", "ポータル", "センター"].iter().any(|w| text.contains(w))
            }
            AnswerType::Procedure => {
                ["ください", "手続", "申請", "届出", "届け出"].iter().any(|w| text.contains(w))
            }
        }
    }
}

fn nfkc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkc().collect()
}

/// The answer types a question asks for.
pub fn asked(question: &str) -> Vec<AnswerType> {
    let q = nfkc(question);
    AnswerType::ALL.into_iter().filter(|t| t.cues().iter().any(|c| q.contains(c))).collect()
}

/// The answer types an answer states.
pub fn stated(answer: &str) -> Vec<AnswerType> {
    let a: Vec<char> = nfkc(answer).chars().collect();
    AnswerType::ALL.into_iter().filter(|t| t.stated_in(&a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_ask_and_answers_state() {
        assert_eq!(asked("病院で3台の場合いくらまで補助が出ますか"), [AnswerType::Amount]);
        assert_eq!(asked("機種の変更はどうやってやるの"), [AnswerType::Procedure]);
        assert_eq!(asked("いつまでに決めればいいの"), [AnswerType::Date]);
        assert!(asked("カードリーダー").is_empty());
        let s = stated("上限は2,101,000円です。2021年８月１日までに申請してください。");
        assert!(s.contains(&AnswerType::Amount) && s.contains(&AnswerType::Date));
        assert!(s.contains(&AnswerType::Procedure));
        assert!(!s.contains(&AnswerType::Time));
        assert!(stated("3台まで").contains(&AnswerType::Count));
    }

    #[test]
    fn terms_are_marked_and_distinct() {
        let terms: Vec<String> = AnswerType::ALL.iter().map(|t| t.term()).collect();
        assert!(terms.iter().all(|t| t.starts_with(ANSWER_TYPE)));
        let unique: std::collections::HashSet<_> = terms.iter().collect();
        assert_eq!(unique.len(), terms.len());
    }
}
