//! 医療機関等: the institution record, its kind, and the 10-digit 医療機関コード.

use serde::{Deserialize, Serialize};

/// The four kinds of 医療機関等; the kind decides the free reader quota and the subsidy row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 病院.
    Hospital,
    /// 診療所 (医科).
    MedicalClinic,
    /// 歯科診療所.
    DentalClinic,
    /// 薬局.
    Pharmacy,
}

impl InstitutionKind {
    /// Every kind, in display order.
    pub const ALL: [InstitutionKind; 4] = [
        InstitutionKind::Hospital,
        InstitutionKind::MedicalClinic,
        InstitutionKind::DentalClinic,
        InstitutionKind::Pharmacy,
    ];

    /// The wire / CSV name (`hospital`, `medical_clinic`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::Hospital => "hospital",
            InstitutionKind::MedicalClinic => "medical_clinic",
            InstitutionKind::DentalClinic => "dental_clinic",
            InstitutionKind::Pharmacy => "pharmacy",
        }
    }

    /// Parses the wire / CSV name.
    pub fn parse(s: &str) -> Option<InstitutionKind> {
        InstitutionKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The Japanese label an operator reads (病院, 診療所, 歯科診療所, 薬局).
    pub fn label_ja(self) -> &'static str {
        match self {
            InstitutionKind::Hospital => "病院",
            InstitutionKind::MedicalClinic => "診療所",
            InstitutionKind::DentalClinic => "歯科診療所",
            InstitutionKind::Pharmacy => "薬局",
        }
    }
}

/// A 医療機関コード known to be ten ASCII digits. Whether its check digit is right is a
/// separate question ([`CodeCheck`]): a few real codes fail it and must still be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "1331500016")]
pub struct InstitutionCode(String);

/// The outcome of parsing a code typed by an operator: the code, and a warning when its
/// check digit is not the one either real rule expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCheck {
    /// The code, normalised to ten ASCII digits.
    pub code: InstitutionCode,
    /// `Some(expected_digit)` when the last digit does not match the rule for its prefecture.
    pub expected_check_digit: Option<u8>,
}

/// Why a string is not an institution code at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("「{input}」は医療機関コードではありません: 数字10桁で入力してください（{found}桁でした）")]
    /// Wrong number of digits.
    WrongLength {
        /// What the operator typed.
        input: String,
        /// Digits found.
        found: usize,
    },
    #[error("「{input}」は医療機関コードではありません: 数字以外の文字「{ch}」が含まれています")]
    /// A character that is not a digit (after normalising width, spaces and hyphens).
    NotADigit {
        /// What the operator typed.
        input: String,
        /// The first character that is not a digit.
        ch: char,
    },
    #[error("「{input}」の都道府県番号 {prefecture:02} はありません（01〜47 または 51〜97）")]
    /// The first two digits are no prefecture number.
    BadPrefecture {
        /// What the operator typed.
        input: String,
        /// The prefecture number the code starts with.
        prefecture: u8,
    },
}

impl InstitutionCode {
    /// Parses a code typed any way an operator might: full-width digits, spaces, hyphens.
    /// A wrong check digit is not an error: it comes back as `expected_check_digit`.
    pub fn parse(input: &str) -> Result<CodeCheck, CodeError> {
        let mut digits = String::with_capacity(10);
        for ch in input.chars() {
            match ch {
                '0'..='9' => digits.push(ch),
                '０'..='９' => digits.push(char::from(b'0' + (ch as u32 - '０' as u32) as u8)),
                '-' | '－' | 'ー' | 'ｰ' | '‐' | '‑' | '−' | '—' | '―' | '_' | '.' => {}
                c if c.is_whitespace() => {}
                _ => {
                    return Err(CodeError::NotADigit { input: input.to_string(), ch });
                }
            }
        }
        if digits.len() != 10 {
            return Err(CodeError::WrongLength { input: input.to_string(), found: digits.len() });
        }
        let prefecture: u8 = digits[..2].parse().unwrap_or(0);
        if !(1..=47).contains(&prefecture) && !(51..=97).contains(&prefecture) {
            return Err(CodeError::BadPrefecture { input: input.to_string(), prefecture });
        }
        let expected = expected_check_digit(&digits);
        let actual = digits.as_bytes()[9] - b'0';
        Ok(CodeCheck {
            code: InstitutionCode(digits),
            expected_check_digit: (expected != actual).then_some(expected),
        })
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps ten digits already validated elsewhere (database rows). Returns `None` unless
    /// the string is exactly ten ASCII digits.
    pub fn from_digits(s: &str) -> Option<InstitutionCode> {
        (s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())).then(|| InstitutionCode(s.to_string()))
    }
}

/// The check digit the rule for this code's prefecture expects: Luhn over the last seven
/// digits (six digits plus the check digit) in prefectures 11–14 (埼玉, 千葉, 東京, 神奈川), Luhn over all ten elsewhere.
/// `digits` must be ten ASCII digits.
pub fn expected_check_digit(digits: &str) -> u8 {
    let prefecture: u8 = digits[..2].parse().unwrap_or(0);
    let body = if (11..=14).contains(&prefecture) { &digits[3..9] } else { &digits[..9] };
    luhn_check_digit(body)
}

/// The Luhn digit that completes `body` (ASCII digits): doubling starts at the rightmost digit.
fn luhn_check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A code compares equal to its ten digits as text, so wire types holding a `String` code
/// can be matched against it directly.
impl PartialEq<str> for InstitutionCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for InstitutionCode {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<InstitutionCode> for String {
    fn eq(&self, other: &InstitutionCode) -> bool {
        self == &other.0
    }
}

impl std::fmt::Display for InstitutionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One 医療機関等 as the master data knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Institution {
    /// 医療機関コード.
    pub code: InstitutionCode,
    /// Registered name (医療機関名).
    pub name: String,
    /// Katakana reading, if known.
    pub name_kana: Option<String>,
    /// True when `name_kana` was inferred at import rather than given; an operator's
    /// correction sets it back to false.
    pub kana_inferred: bool,
    /// Which of the four kinds it is.
    pub kind: InstitutionKind,
    /// Prefecture name (都道府県).
    pub prefecture: String,
    /// City, ward, town or village (市区町村), found from the address.
    pub city: String,
    /// Postal code, `166-0001` when the source gave it in a known shape.
    pub postal_code: String,
    /// Street address as registered.
    pub address: String,
    /// Registered phone number (ASCII digits and hyphens), the one call-backs dial.
    pub phone: Option<String>,
    /// 大型チェーン薬局 (only meaningful for pharmacies).
    pub large_chain: bool,
}

/// Where the institution rows stand, for checking a lookup index (or its snapshot file)
/// against them: every row changed after `version` has a higher version of its own (see
/// `store::InstitutionStore::institutions_changed_since`); `generation` tells one database
/// from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionsVersion {
    /// Which database: random, set once when the database is made.
    pub generation: String,
    /// The highest row version written.
    pub version: i64,
    /// How many institutions there are.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of `data/real_codes.tsv` (the regional health bureaus' public lists) with the
    /// rule it follows: Luhn over ten digits, or over the last seven in prefectures 11–14.
    const REAL_CODES: [(&str, &str, &str); 12] = [
        ("0110113719", "NTT東日本札幌病院", "luhn10"),
        ("0410210017", "石巻赤十字病院", "luhn10"),
        ("2310100736", "杉田病院", "luhn10"),
        ("3410110013", "中電病院", "luhn10"),
        ("4710112014", "オリブ山病院", "luhn10"),
        ("2739900021", "大阪大学歯学部附属病院", "luhn10"),
        ("1310314732", "虎の門病院", "luhn7"),
        ("1310270751", "聖路加国際病院", "luhn7"),
        ("1310110049", "浜田病院", "luhn7"),
        ("1410100065", "平和病院", "luhn7"),
        ("1110301762", "与野中央病院", "luhn7"),
        ("1210110163", "中村古峡記念病院", "luhn7"),
    ];

    #[test]
    fn every_real_code_passes_its_rule() {
        for (code, name, rule) in REAL_CODES {
            let check = InstitutionCode::parse(code).unwrap();
            assert_eq!(check.code.as_str(), code);
            assert_eq!(check.expected_check_digit, None, "{name} {code} ({rule})");
            let prefecture: u8 = code[..2].parse().unwrap();
            assert_eq!((11..=14).contains(&prefecture), rule == "luhn7", "{name}");
        }
    }

    #[test]
    fn every_wrong_digit_is_a_warning_with_the_expected_digit() {
        for (code, name, _) in REAL_CODES {
            let right = code.as_bytes()[9] - b'0';
            for wrong in (0..10u8).filter(|&d| d != right) {
                let typed = format!("{}{}", &code[..9], wrong);
                let check = InstitutionCode::parse(&typed).unwrap();
                assert_eq!(check.code.as_str(), typed, "still accepted");
                assert_eq!(check.expected_check_digit, Some(right), "{name} typed {typed}");
            }
        }
    }

    #[test]
    fn the_seven_digit_rule_ignores_the_first_three_digits() {
        // In Tokyo only the last seven count: changing the 点数表 digit keeps the check.
        let check = InstitutionCode::parse("1330314732").unwrap();
        assert_eq!(check.expected_check_digit, None);
        // Outside 11–14 all ten count.
        let check = InstitutionCode::parse("0130113719").unwrap();
        assert!(check.expected_check_digit.is_some());
    }

    #[test]
    fn typed_any_way_an_operator_might() {
        for typed in [
            "1310314732",
            "１３１０３１４７３２",
            "13 1 03 1473 2",
            "13-1-03-1473-2",
            "１３－１－０３－１４７３－２",
            "13ー1ー03ー1473ー2",
            "\u{3000}1310314732\t",
            " 131 031 4732 ",
        ] {
            let check = InstitutionCode::parse(typed).unwrap_or_else(|e| panic!("{typed:?}: {e}"));
            assert_eq!(check.code.as_str(), "1310314732", "{typed:?}");
            assert_eq!(check.expected_check_digit, None);
        }
    }

    #[test]
    fn garbage_is_not_a_code() {
        assert!(matches!(InstitutionCode::parse(""), Err(CodeError::WrongLength { found: 0, .. })));
        assert!(matches!(InstitutionCode::parse("131031473"), Err(CodeError::WrongLength { found: 9, .. })));
        assert!(matches!(
            InstitutionCode::parse("13103147321"),
            Err(CodeError::WrongLength { found: 11, .. })
        ));
        assert!(matches!(InstitutionCode::parse("13103147a2"), Err(CodeError::NotADigit { ch: 'a', .. })));
        assert!(matches!(
            InstitutionCode::parse("あかいクリニック"),
            Err(CodeError::NotADigit { ch: 'あ', .. })
        ));
        assert!(matches!(InstitutionCode::parse("🦀"), Err(CodeError::NotADigit { .. })));
        let err = InstitutionCode::parse("１２３").unwrap_err().to_string();
        assert!(err.contains("数字10桁"), "{err}");
    }

    #[test]
    fn prefecture_numbers() {
        assert!(matches!(
            InstitutionCode::parse("0010113719"),
            Err(CodeError::BadPrefecture { prefecture: 0, .. })
        ));
        assert!(matches!(
            InstitutionCode::parse("4810113719"),
            Err(CodeError::BadPrefecture { prefecture: 48, .. })
        ));
        assert!(matches!(
            InstitutionCode::parse("5010113719"),
            Err(CodeError::BadPrefecture { prefecture: 50, .. })
        ));
        assert!(matches!(
            InstitutionCode::parse("9810113719"),
            Err(CodeError::BadPrefecture { prefecture: 98, .. })
        ));
        // 51–97 (a prefecture that ran out of numbers) are accepted, Luhn over ten digits.
        for pref in ["51", "63", "97"] {
            let body = format!("{pref}1011371");
            let digit = expected_check_digit(&format!("{body}0"));
            let check = InstitutionCode::parse(&format!("{body}{digit}")).unwrap();
            assert_eq!(check.expected_check_digit, None);
        }
    }

    #[test]
    fn luhn_digit_matches_the_textbook_example() {
        // 7992739871 → check digit 3 (the classic Luhn example).
        assert_eq!(luhn_check_digit("7992739871"), 3);
    }

    #[test]
    fn from_digits_only_takes_ten_ascii_digits() {
        assert!(InstitutionCode::from_digits("1310314732").is_some());
        assert!(InstitutionCode::from_digits("131031473").is_none());
        assert!(InstitutionCode::from_digits("１３１０３１４７３２").is_none());
    }

    #[test]
    fn kinds_round_trip() {
        for k in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(InstitutionKind::parse(" pharmacy "), Some(InstitutionKind::Pharmacy));
        assert_eq!(InstitutionKind::parse("clinic"), None);
    }
}
