//! Parsing an institution CSV file (`madoguchi import institutions FILE.csv`) into
//! [`Institution`]s, with every rejected row (line number and reason in words) and every code
//! whose check digit is off. Parsing only: the caller decides what to write through the `Store`.
//!
//! The header is `code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain`
//! (any order; `name_kana`, `phone` and `large_chain` may be left out or empty). A row without a
//! reading gets one from [`infer_reading`], marked `kana_inferred`. The city is found at the
//! start of the address in the municipality table embedded for the demo data.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use crate::demo::tables::{self, Municipality};
use crate::domain::{Institution, InstitutionCode, InstitutionKind};
use crate::search::reading::infer_reading;

/// The columns of the import format, in their documented order.
pub const COLUMNS: [&str; 9] =
    ["code", "name", "name_kana", "kind", "prefecture", "postal_code", "address", "phone", "large_chain"];

/// Columns that may be absent from the header (their values may also be empty).
const OPTIONAL_COLUMNS: [&str; 3] = ["name_kana", "phone", "large_chain"];

const EXPECTED_HEADER: &str = "code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain";

/// One accepted row: where it was in the file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The institution as it will be stored.
    pub institution: Institution,
}

/// A row that could not be used, and why (in words a supervisor can act on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// A code accepted although its check digit is not the one its prefecture's rule expects
/// (a few real codes are like that: a warning, never a rejection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDigitWarning {
    /// 1-based line number in the file.
    pub line: u64,
    /// The code as accepted.
    pub code: String,
    /// The check digit the rule expects.
    pub expected_digit: u8,
}

/// The outcome of parsing one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportParse {
    /// Accepted rows, in file order.
    pub rows: Vec<ImportRow>,
    /// Rejected rows, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Codes accepted with an unexpected check digit.
    pub warnings: Vec<CheckDigitWarning>,
    /// Rows whose reading was inferred (no `name_kana` given).
    pub inferred_readings: u64,
}

/// Why a file could not be parsed at all (as opposed to a bad row, which is only rejected).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("ファイルを読めません: {0}")]
    /// The file could not be read.
    Io(#[from] std::io::Error),
    #[error("ファイルが空です。1行目に見出し {EXPECTED_HEADER} が必要です")]
    /// The file has no header line.
    Empty,
    #[error(
        "見出し行（1行目）が UTF-8 ではありません。UTF-8 で保存し直してください（Excel なら「CSV UTF-8」形式）"
    )]
    /// The header line is not UTF-8 (a Shift_JIS export, say).
    NotUtf8,
    #[error(
        "見出し行（1行目）に列 {} がありません。1行目は {EXPECTED_HEADER} にしてください（name_kana, phone, large_chain は省略できます）",
        .missing.join(", ")
    )]
    /// Required columns are missing from the header.
    MissingColumns {
        /// Their names.
        missing: Vec<String>,
    },
    #[error("見出し行（1行目）の列 {} は分かりません。使える列は {EXPECTED_HEADER} です", .unknown.join(", "))]
    /// The header names columns this format does not have.
    UnknownColumns {
        /// Their names.
        unknown: Vec<String>,
    },
    #[error("見出し行（1行目）に列 {0} が2回あります。1回にしてください")]
    /// A column is named twice in the header.
    DuplicateColumn(String),
}

/// Parses an institution CSV. Bad rows are rejected one by one with their line number and
/// reason; only an unreadable file or a wrong header is an error.
pub fn parse_institutions(reader: impl Read) -> Result<ImportParse, ImportError> {
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    if !read_record(&mut csv, &mut record)? {
        return Err(ImportError::Empty);
    }
    let columns = header_columns(&record)?;
    let width = record.len();

    let mut out = ImportParse::default();
    let mut first_line_of: HashMap<InstitutionCode, u64> = HashMap::new();
    while read_record(&mut csv, &mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a line of blanks
        }
        if record.len() != width {
            out.rejected.push(RejectedRow {
                line,
                reason: format!(
                    "列の数が {} ではなく {} です（値にカンマがあるなら \"...\" で囲んでください）",
                    width,
                    record.len()
                ),
            });
            continue;
        }
        match parse_row(&record, &columns) {
            Ok((institution, expected_digit)) => {
                if let Some(&first) = first_line_of.get(&institution.code) {
                    out.rejected.push(RejectedRow {
                        line,
                        reason: format!(
                            "コード {} は {} 行目と重複しています。どちらか一方にしてください",
                            institution.code, first
                        ),
                    });
                    continue;
                }
                first_line_of.insert(institution.code.clone(), line);
                if let Some(expected_digit) = expected_digit {
                    out.warnings.push(CheckDigitWarning {
                        line,
                        code: institution.code.to_string(),
                        expected_digit,
                    });
                }
                if institution.kana_inferred {
                    out.inferred_readings += 1;
                }
                out.rows.push(ImportRow { line, institution });
            }
            Err(reason) => out.rejected.push(RejectedRow { line, reason }),
        }
    }
    Ok(out)
}

/// Reads the next record; `false` at the end. Only I/O errors can happen with byte records
/// and a flexible reader.
fn read_record<R: Read>(csv: &mut csv::Reader<R>, record: &mut csv::ByteRecord) -> Result<bool, ImportError> {
    csv.read_byte_record(record).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => ImportError::Io(io),
        other => ImportError::Io(std::io::Error::other(format!("{other:?}"))),
    })
}

/// Where each known column is in the file.
type ColumnIndex = HashMap<&'static str, usize>;

fn header_columns(header: &csv::ByteRecord) -> Result<ColumnIndex, ImportError> {
    let mut columns = ColumnIndex::new();
    let mut unknown = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw).map_err(|_| ImportError::NotUtf8)?;
        let name = name.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
        if name.is_empty() && i + 1 == header.len() && i > 0 {
            continue; // a trailing comma
        }
        match COLUMNS.iter().find(|c| **c == name) {
            Some(c) => {
                if columns.insert(*c, i).is_some() {
                    return Err(ImportError::DuplicateColumn(name));
                }
            }
            None => unknown.push(if name.is_empty() { "（空の列名）".to_string() } else { name }),
        }
    }
    if !unknown.is_empty() {
        // A header that shares nothing with ours is most likely a file without a header.
        return Err(if columns.is_empty() {
            ImportError::MissingColumns { missing: COLUMNS.iter().map(|c| c.to_string()).collect() }
        } else {
            ImportError::UnknownColumns { unknown }
        });
    }
    let missing: Vec<String> = COLUMNS
        .iter()
        .filter(|c| !OPTIONAL_COLUMNS.contains(c) && !columns.contains_key(*c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { missing });
    }
    Ok(columns)
}

/// One row into an institution (and the expected check digit when it is off), or the reason not.
fn parse_row(record: &csv::ByteRecord, columns: &ColumnIndex) -> Result<(Institution, Option<u8>), String> {
    let field = |name: &str| -> Result<&str, String> {
        let Some(&i) = columns.get(name) else { return Ok("") };
        let raw = record.get(i).unwrap_or_default();
        std::str::from_utf8(raw).map(str::trim).map_err(|_| {
            format!("列 {name} に UTF-8 ではない文字があります（ファイルを UTF-8 で保存し直してください）")
        })
    };

    let code_text = field("code")?;
    let check = InstitutionCode::parse(code_text).map_err(|e| format!("列 code: {e}"))?;
    let name = field("name")?;
    if name.is_empty() {
        return Err("列 name（名称）が空です。医療機関等の名称を入れてください".to_string());
    }
    let kind_text = field("kind")?;
    let kind = parse_kind(kind_text).ok_or_else(|| {
        format!(
            "列 kind の「{kind_text}」は種別ではありません。hospital, medical_clinic, dental_clinic, pharmacy のどれかにしてください"
        )
    })?;
    let prefecture = parse_prefecture(field("prefecture")?, check.code.as_str())?;
    let address = field("address")?.to_string();
    let city = city_of(prefecture, &address);
    let postal_code = normalize_postal(field("postal_code")?);
    let phone = Some(normalize_phone(field("phone")?)).filter(|p| !p.is_empty());
    let large_chain_text = field("large_chain")?;
    let large_chain = parse_flag(large_chain_text).ok_or_else(|| {
        format!(
            "列 large_chain の「{large_chain_text}」は分かりません。true か false（または空）にしてください"
        )
    })?;
    let given_kana = field("name_kana")?;
    let (name_kana, kana_inferred) = if given_kana.is_empty() {
        match infer_reading(name) {
            Some(kana) => (Some(kana), true),
            None => (None, false),
        }
    } else {
        (Some(to_katakana(given_kana)), false)
    };
    let institution = Institution {
        code: check.code,
        name: name.to_string(),
        name_kana,
        kana_inferred,
        kind,
        prefecture: prefecture.to_string(),
        city,
        postal_code,
        address,
        phone,
        large_chain,
    };
    Ok((institution, check.expected_check_digit))
}

/// The wire names, and the Japanese labels a person may have typed.
fn parse_kind(text: &str) -> Option<InstitutionKind> {
    InstitutionKind::parse(&text.to_ascii_lowercase()).or(match text {
        "病院" => Some(InstitutionKind::Hospital),
        "診療所" | "医科診療所" | "クリニック" => Some(InstitutionKind::MedicalClinic),
        "歯科診療所" | "歯科" => Some(InstitutionKind::DentalClinic),
        "薬局" | "保険薬局" => Some(InstitutionKind::Pharmacy),
        _ => None,
    })
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "いいえ" => Some(false),
        "1" | "true" | "yes" | "y" | "はい" | "○" => Some(true),
        _ => None,
    }
}

/// The prefecture as the table names it. Empty: taken from the code's first two digits
/// (51–97 are prefecture + 50). `東京` and `東京都` are both accepted.
fn parse_prefecture(text: &str, code: &str) -> Result<&'static str, String> {
    let prefectures = &tables::tables().prefectures;
    if text.is_empty() {
        let number: u8 = code[..2].parse().unwrap_or(0);
        let number = if number > 50 { number - 50 } else { number };
        return prefectures.iter().find(|p| p.code == number).map(|p| p.name).ok_or_else(|| {
            "列 prefecture（都道府県）が空で、コードからも分かりません。都道府県名を入れてください"
                .to_string()
        });
    }
    prefectures
        .iter()
        .find(|p| p.name == text)
        .or_else(|| {
            prefectures
                .iter()
                .find(|p| p.name.strip_suffix(['都', '道', '府', '県']).is_some_and(|s| s == text))
        })
        .map(|p| p.name)
        .ok_or_else(|| format!("列 prefecture の「{text}」は都道府県名ではありません（例: 東京都、北海道）"))
}

/// Municipalities of each prefecture, longest name first, each with the forms an address may
/// start with (北足立郡伊奈町 also as 伊奈町).
fn cities_by_prefecture() -> &'static HashMap<&'static str, Vec<(&'static str, &'static Municipality)>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<(&'static str, &'static Municipality)>>> =
        OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<(&'static str, &'static Municipality)>> = HashMap::new();
        for m in tables::municipalities() {
            let entry = map.entry(m.prefecture).or_default();
            entry.push((m.city, m));
            if let Some((_, town)) = m.city.split_once('郡') {
                entry.push((town, m));
            }
        }
        for list in map.values_mut() {
            list.sort_by_key(|(form, _)| std::cmp::Reverse(form.len()));
        }
        map
    })
}

/// The city (市区町村) an address is in: the longest municipality of the prefecture the address
/// starts with (after the prefecture name, if the address repeats it); otherwise the text up to
/// the first 市, 区, 町 or 村 (past a 郡); empty when the address says nothing usable.
pub fn city_of(prefecture: &str, address: &str) -> String {
    let address = address.trim();
    let rest = address.strip_prefix(prefecture).unwrap_or(address);
    if let Some(list) = cities_by_prefecture().get(prefecture)
        && let Some((_, m)) = list.iter().find(|(form, _)| rest.starts_with(form))
    {
        return m.city.to_string();
    }
    // Not in the table (a merger since, or a misspelling): take the text up to the suffix.
    let after_county = rest.find('郡').map_or(0, |i| i + '郡'.len_utf8());
    rest[after_county..]
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, '市' | '区' | '町' | '村'))
        .map(|(i, c)| rest[..after_county + i + c.len_utf8()].to_string())
        .unwrap_or_default()
}

/// `〒１６６－０００１` and `1660001` become `166-0001`; anything else is kept as written.
fn normalize_postal(text: &str) -> String {
    let digits: String = text.nfkc().filter(|c| c.is_ascii_digit()).collect();
    let others = text.nfkc().any(|c| !(c.is_ascii_digit() || matches!(c, '-' | '〒' | ' ' | 'ー' | '−')));
    if digits.len() == 7 && !others { format!("{}-{}", &digits[..3], &digits[3..]) } else { text.to_string() }
}

/// Full-width digits and dashes to ASCII (`０３－１２３４－５６７８` → `03-1234-5678`).
fn normalize_phone(text: &str) -> String {
    text.nfkc().map(|c| if matches!(c, 'ー' | '−' | '‐' | '―') { '-' } else { c }).collect()
}

/// A reading as katakana: half-width to full-width (NFKC), hiragana to katakana, no spaces.
fn to_katakana(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| if ('ぁ'..='ゖ').contains(&c) { char::from_u32(c as u32 + 0x60).unwrap_or(c) } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain\n";

    fn parse(body: &str) -> ImportParse {
        parse_institutions(format!("{HEADER}{body}").as_bytes()).unwrap()
    }

    #[test]
    fn a_good_file() {
        let p = parse(
            "1310314732,虎の門病院,トラノモンビョウイン,hospital,東京都,105-8470,港区虎ノ門2丁目2番2号,03-3588-1111,\n\
             1340000018,さなえ薬局,さなえやっきょく,pharmacy,東京都,1200001,東京都足立区大谷田1丁目1,,true\n",
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert!(p.warnings.is_empty());
        assert_eq!(p.rows.len(), 2);
        let a = &p.rows[0];
        assert_eq!(a.line, 2);
        assert_eq!(a.institution.code.as_str(), "1310314732");
        assert_eq!(a.institution.kind, InstitutionKind::Hospital);
        assert_eq!(a.institution.city, "港区");
        assert_eq!(a.institution.phone.as_deref(), Some("03-3588-1111"));
        assert!(!a.institution.kana_inferred);
        let b = &p.rows[1].institution;
        assert_eq!(b.name_kana.as_deref(), Some("サナエヤッキョク"), "hiragana reading becomes katakana");
        assert_eq!(b.postal_code, "120-0001");
        assert_eq!(b.city, "足立区", "the prefecture at the start of the address is skipped");
        assert!(b.large_chain);
        assert_eq!(b.phone, None);
    }

    #[test]
    fn broken_rows_are_rejected_with_line_and_reason() {
        let p = parse(
            "1310314732,虎の門病院,,hospital,東京都,105-8470,港区虎ノ門2丁目2番2号,,\n\
             13103147,短いコード,,hospital,東京都,,港区,,\n\
             1310270751,,,hospital,東京都,,中央区明石町,,\n\
             1310110049,浜田病院,,clinic,東京都,,千代田区,,\n\
             1410100065,平和病院,,hospital,神奈川県,,横浜市鶴見区\n\
             1110301762,与野中央病院,,hospital,埼玉,,さいたま市中央区,,maybe\n\
             1210110163,中村古峡記念病院,,hospital,千葉県,,千葉市中央区,,\n\
             1310314732,虎の門病院（重複）,,hospital,東京都,,港区,,\n\
             1210110163,中村古峡記念病院,,hospital,ちば,,千葉市中央区,,\n",
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 8]);
        let reasons: Vec<(u64, &str)> = p.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(reasons.len(), 7, "{reasons:?}");
        assert!(reasons[0].0 == 3 && reasons[0].1.contains("数字10桁"), "{reasons:?}");
        assert!(reasons[1].0 == 4 && reasons[1].1.contains("name"), "{reasons:?}");
        assert!(
            reasons[2].0 == 5
                && reasons[2].1.contains("「clinic」")
                && reasons[2].1.contains("medical_clinic")
        );
        assert!(reasons[3].0 == 6 && reasons[3].1.contains("列の数が 9 ではなく 7"), "{reasons:?}");
        assert!(reasons[4].0 == 7 && reasons[4].1.contains("large_chain"), "{reasons:?}");
        assert!(reasons[5].0 == 9 && reasons[5].1.contains("2 行目と重複"), "{reasons:?}");
        assert!(reasons[6].0 == 10 && reasons[6].1.contains("「ちば」"), "{reasons:?}");
    }

    #[test]
    fn wrong_check_digits_are_warnings_not_rejections() {
        let p = parse(
            "1310314733,虎の門病院,,hospital,東京都,,港区,,\n0110113710,NTT東日本札幌病院,,hospital,北海道,,札幌市中央区,,\n",
        );
        assert_eq!(p.rows.len(), 2);
        assert_eq!(
            p.warnings,
            [
                CheckDigitWarning { line: 2, code: "1310314733".into(), expected_digit: 2 },
                CheckDigitWarning { line: 3, code: "0110113710".into(), expected_digit: 9 },
            ]
        );
    }

    #[test]
    fn bad_utf8_in_a_row_rejects_that_row_only() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(
            b"1310314732,\x93\x8c\x8b\x9e,,hospital,\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd,,x,,\n",
        );
        bytes.extend_from_slice("1310270751,聖路加国際病院,,hospital,東京都,,中央区明石町9-1,,\n".as_bytes());
        let p = parse_institutions(&bytes[..]).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rejected.len(), 1);
        assert!(
            p.rejected[0].reason.contains("UTF-8") && p.rejected[0].reason.contains("name"),
            "{:?}",
            p.rejected
        );
        assert_eq!(p.rows[0].institution.city, "中央区");
    }

    #[test]
    fn typed_forms_are_normalised() {
        let p = parse(
            "１３１０３１４７３２,虎の門病院, ﾄﾗﾉﾓﾝ ﾋﾞｮｳｲﾝ ,病院,東京,〒１０５－８４７０,港区虎ノ門,０３－３５８８－１１１１,0\n",
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let i = &p.rows[0].institution;
        assert_eq!(i.code.as_str(), "1310314732");
        assert_eq!(i.name_kana.as_deref(), Some("トラノモンビョウイン"));
        assert_eq!(i.kind, InstitutionKind::Hospital);
        assert_eq!(i.prefecture, "東京都");
        assert_eq!(i.postal_code, "105-8470");
        assert_eq!(i.phone.as_deref(), Some("03-3588-1111"));
    }

    #[test]
    fn empty_prefecture_comes_from_the_code() {
        let p = parse(
            "0110113719,NTT東日本札幌病院,,hospital,,,札幌市中央区南1条西15丁目,,\n6110000011,架空の病院,,hospital,,,さいたま市浦和区,,\n",
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.rows[0].institution.prefecture, "北海道");
        assert_eq!(p.rows[0].institution.city, "札幌市中央区");
        assert_eq!(p.rows[1].institution.prefecture, "埼玉県", "61 = 11 + 50");
    }

    #[test]
    fn quoted_fields_and_crlf_and_bom() {
        let text = "\u{feff}code,name,kind,prefecture,postal_code,address\r\n\
                    1310314732,\"虎の門病院, 本院\",hospital,東京都,105-8470,\"港区虎ノ門2丁目2番2号\"\r\n\r\n";
        let p = parse_institutions(text.as_bytes()).unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.rows[0].institution.name, "虎の門病院, 本院");
        assert_eq!(p.rows[0].institution.phone, None);
    }

    #[test]
    fn header_errors_say_what_is_expected() {
        let err = parse_institutions("".as_bytes()).unwrap_err().to_string();
        assert!(err.contains("code,name,name_kana,kind"), "{err}");
        let err = parse_institutions("code,name,kind\n".as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ImportError::MissingColumns { missing } if missing == &["prefecture", "postal_code", "address"])
        );
        assert!(
            err.to_string()
                .contains("code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain")
        );
        let err = parse_institutions(format!("{}fax\n", HEADER.trim_end().to_string() + ",").as_bytes())
            .unwrap_err();
        assert!(matches!(&err, ImportError::UnknownColumns { unknown } if unknown == &["fax"]), "{err}");
        // A file without a header: its first row is not a header.
        let err =
            parse_institutions("1310314732,虎の門病院,,hospital,東京都,,港区,,\n".as_bytes()).unwrap_err();
        assert!(matches!(err, ImportError::MissingColumns { .. }), "{err}");
        let err = parse_institutions("code,code,name\n".as_bytes()).unwrap_err();
        assert!(matches!(err, ImportError::DuplicateColumn(_)));
        let err = parse_institutions(&b"\x83\x52\x81\x5b\x83\x68\n"[..]).unwrap_err();
        assert!(matches!(err, ImportError::NotUtf8), "{err}");
    }

    #[test]
    fn cities_from_addresses() {
        assert_eq!(city_of("北海道", "札幌市南区川沿１３条２丁目１番３８号"), "札幌市南区");
        assert_eq!(city_of("東京都", "東京都三鷹市下連雀3-1"), "三鷹市");
        assert_eq!(city_of("三重県", "四日市市諏訪町1-5"), "四日市市");
        assert_eq!(city_of("千葉県", "市川市八幡1-1"), "市川市");
        assert_eq!(city_of("埼玉県", "北足立郡伊奈町小室1"), "北足立郡伊奈町");
        assert_eq!(city_of("埼玉県", "伊奈町小室1"), "北足立郡伊奈町");
        assert_eq!(city_of("山形県", "酒田市あきほ町30"), "酒田市");
        // Not in the table: up to the first suffix (after a county).
        assert_eq!(city_of("東京都", "架空市1-2-3"), "架空市");
        assert_eq!(city_of("東京都", "架空郡空想町1-2"), "架空郡空想町");
        assert_eq!(city_of("東京都", ""), "");
        assert_eq!(city_of("東京都", "1-2-3"), "");
    }

    #[test]
    fn kinds_and_flags() {
        assert_eq!(parse_kind("dental_clinic"), Some(InstitutionKind::DentalClinic));
        assert_eq!(parse_kind("Pharmacy"), Some(InstitutionKind::Pharmacy));
        assert_eq!(parse_kind("歯科診療所"), Some(InstitutionKind::DentalClinic));
        assert_eq!(parse_kind("hospitals"), None);
        assert_eq!(parse_flag("TRUE"), Some(true));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("2"), None);
    }

    /// Uses `../shared/data/real_medical_institutions_2025-08.csv` beside the project (96,488
    /// real 医科 institutions) when it is present; says loudly that it skipped otherwise.
    #[test]
    fn real_medical_institutions_file() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/real_medical_institutions_2025-08.csv");
        let path = path.as_path();
        let Ok(file) = std::fs::File::open(path) else {
            eprintln!(
                "\n!!! SKIPPED real_medical_institutions_file: {} is not present !!!\n",
                path.display()
            );
            return;
        };
        let start = std::time::Instant::now();
        let cpu = crate::demo::tests::thread_cpu_ns();
        let p = parse_institutions(std::io::BufReader::new(file)).unwrap();
        let took = start.elapsed();
        let cpu_ms = (crate::demo::tests::thread_cpu_ns() - cpu) / 1_000_000;
        eprintln!(
            "real file: {} rows, {} rejected, {} check-digit warnings, {} readings inferred, city empty for {}, in {:.2?} wall, {cpu_ms} ms on the CPU",
            p.rows.len(),
            p.rejected.len(),
            p.warnings.len(),
            p.inferred_readings,
            p.rows.iter().filter(|r| r.institution.city.is_empty()).count(),
            took
        );
        for r in p.rejected.iter().take(5) {
            eprintln!("  rejected line {}: {}", r.line, r.reason);
        }
        assert_eq!(p.rows.len() + p.rejected.len(), 96_488);
        assert!(p.rejected.len() < 50, "{:?}", &p.rejected[..p.rejected.len().min(5)]);
        // About 27 real codes outside 11–14 fail the check digit (FACTS.md).
        assert!((1..200).contains(&p.warnings.len()), "{}", p.warnings.len());
        let no_city = p.rows.iter().filter(|r| r.institution.city.is_empty()).count();
        assert!(no_city < p.rows.len() / 100, "{no_city} rows without a city");
        assert!(p.rows.iter().all(|r| matches!(
            r.institution.kind,
            InstitutionKind::Hospital | InstitutionKind::MedicalClinic
        )));
    }
}
