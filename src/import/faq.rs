//! FAQ entries: the built-in set shipped in `faq/*.jsonl`, and parsing of JSONL files.
//!
//! One JSON object a line: `{"id", "question", "answer", "category", "keywords"}` (`keywords` an
//! array of strings, or one string of comma-separated words; may be left out). Blank lines are
//! skipped. A bad line is reported with its number and reason and never stops the others, so an
//! import can show every problem at once; writing the good entries (upsert by id) is the
//! caller's job.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::{Map, Value};

use crate::api::FaqEntry;

/// The FAQ files shipped with the product, by name (for messages) and content.
const BUILTIN_FILES: &[(&str, &str)] = &[
    ("faq/reader.jsonl", include_str!("../../faq/reader.jsonl")),
    ("faq/subsidy.jsonl", include_str!("../../faq/subsidy.jsonl")),
    ("faq/portal.jsonl", include_str!("../../faq/portal.jsonl")),
    ("faq/contact.jsonl", include_str!("../../faq/contact.jsonl")),
    ("faq/system.jsonl", include_str!("../../faq/system.jsonl")),
];

/// The FAQ entries shipped with the product (loaded by `madoguchi seed`), in file order.
pub fn builtin_entries() -> Vec<FaqEntry> {
    BUILTIN_FILES.iter().flat_map(|(_, text)| parse_faq_jsonl(text.as_bytes()).entries).collect()
}

/// Why one line of a FAQ file was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaqLineError {
    #[error("UTF-8 ではありません。ファイルを UTF-8 で保存してください")]
    /// The line is not UTF-8.
    NotUtf8,
    #[error("JSON として読めません（{0}）。1 行に 1 つの JSON オブジェクトを書いてください")]
    /// The line is not JSON (the parser's message).
    BadJson(String),
    #[error("JSON オブジェクトではありません。{{\"id\": ..., \"question\": ..., ...}} の形で書いてください")]
    /// The JSON is not an object.
    NotAnObject,
    #[error("項目 `{0}` がありません")]
    /// A required field is missing.
    MissingField(&'static str),
    #[error("項目 `{field}` は{expected}で書いてください")]
    /// A field has the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// The type it must have, in words.
        expected: &'static str,
    },
    #[error("項目 `{0}` が空です。文を入れるか、この行を外してください")]
    /// A required field is empty.
    Empty(&'static str),
    #[error("id `{id}` は {first_line} 行目でも使われています。エントリごとに別の id にしてください")]
    /// The id was used on an earlier line.
    DuplicateId {
        /// The id.
        id: String,
        /// The 1-based line that used it first.
        first_line: usize,
    },
    #[error("ファイルを読めません: {0}")]
    /// The file could not be read.
    Io(String),
}

/// One rejected line: its 1-based number and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was rejected.
    pub error: FaqLineError,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 行目: {}", self.line, self.error)
    }
}

/// The result of parsing a FAQ file: the good entries in file order, and every bad line.
#[derive(Debug, Clone, Default)]
pub struct FaqParse {
    /// The good entries, in file order.
    pub entries: Vec<FaqEntry>,
    /// The 1-based line of each entry in `entries`.
    pub entry_lines: Vec<usize>,
    /// Every rejected line, in file order.
    pub bad_lines: Vec<BadLine>,
}

/// Parses a FAQ JSONL stream (see the module doc for the format). Never fails as a whole: an
/// unreadable stream ends the parse with a `BadLine` saying so.
pub fn parse_faq_jsonl(mut reader: impl BufRead) -> FaqParse {
    let mut parse = FaqParse::default();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                parse.bad_lines.push(BadLine { line: line_no + 1, error: FaqLineError::Io(e.to_string()) });
                break;
            }
        }
        line_no += 1;
        let result = std::str::from_utf8(&buf).map_err(|_| FaqLineError::NotUtf8).and_then(|text| {
            let text = if line_no == 1 { text.trim_start_matches('\u{feff}') } else { text };
            if text.trim().is_empty() { Ok(None) } else { parse_entry(text).map(Some) }
        });
        match result {
            Ok(None) => {}
            Ok(Some(entry)) => match first_line_of.get(&entry.id) {
                Some(&first_line) => parse.bad_lines.push(BadLine {
                    line: line_no,
                    error: FaqLineError::DuplicateId { id: entry.id, first_line },
                }),
                None => {
                    first_line_of.insert(entry.id.clone(), line_no);
                    parse.entries.push(entry);
                    parse.entry_lines.push(line_no);
                }
            },
            Err(error) => parse.bad_lines.push(BadLine { line: line_no, error }),
        }
    }
    parse
}

/// Parses and checks one non-blank line.
fn parse_entry(text: &str) -> Result<FaqEntry, FaqLineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FaqLineError::BadJson(e.to_string()))?;
    let Value::Object(obj) = value else { return Err(FaqLineError::NotAnObject) };
    let id = required_text(&obj, "id")?;
    let question = required_text(&obj, "question")?;
    let answer = required_text(&obj, "answer")?;
    let category = match obj.get("category") {
        None => return Err(FaqLineError::MissingField("category")),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(FaqLineError::WrongType { field: "category", expected: "文字列" }),
    };
    let keywords = keywords(obj.get("keywords"))?;
    Ok(FaqEntry { id, question, answer, category, keywords })
}

fn required_text(obj: &Map<String, Value>, field: &'static str) -> Result<String, FaqLineError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(FaqLineError::MissingField(field)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(FaqLineError::Empty(field)),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(_) => Err(FaqLineError::WrongType { field, expected: "文字列" }),
    }
}

fn keywords(value: Option<&Value>) -> Result<Vec<String>, FaqLineError> {
    let wrong = FaqLineError::WrongType { field: "keywords", expected: "文字列の配列" };
    let words: Vec<String> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split([',', '、', '，']).map(str::to_string).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong.clone()))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(wrong),
    };
    Ok(words.into_iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_parse_cleanly_with_unique_ids() {
        let mut ids = HashMap::new();
        let mut total = 0;
        for (name, text) in BUILTIN_FILES {
            let parse = parse_faq_jsonl(text.as_bytes());
            assert!(parse.bad_lines.is_empty(), "{name}: {:?}", parse.bad_lines);
            for e in parse.entries {
                assert!(!e.category.is_empty(), "{name}: {} has no category", e.id);
                assert!(!e.keywords.is_empty(), "{name}: {} has no keywords", e.id);
                if let Some(other) = ids.insert(e.id.clone(), *name) {
                    panic!("id {} is in both {other} and {name}", e.id);
                }
                total += 1;
            }
        }
        assert!(total >= 80, "only {total} built-in FAQ entries");
        assert_eq!(builtin_entries().len(), total);
    }

    #[test]
    fn builtin_entries_state_the_key_facts() {
        let all: String =
            builtin_entries().iter().map(|e| format!("{}\n{}\n", e.question, e.answer)).collect();
        for fact in [
            "2021年8月1日",
            "0800-080-4583",
            "0800-0804583",
            "8:00～18:00",
            "8:00～16:00",
            "1,050,000円",
            "1,001,000円",
            "951,000円",
            "214,000円",
            "321,000円",
            "2,101,000円",
            "2,002,000円",
            "1,903,000円",
            "429,000円",
            "シカク",
            "7月9日",
            "4万回",
            "03-3595-2174",
        ] {
            assert!(all.contains(fact), "no built-in entry states {fact}");
        }
    }

    #[test]
    fn good_lines_parse_and_blank_lines_are_skipped() {
        let text = "\u{feff}{\"id\":\"a\",\"question\":\" Q? \",\"answer\":\"A.\",\"category\":\"c\",\
                    \"keywords\":[\"k1\",\" \",\"k2\"]}\n\n  \n{\"id\":\"b\",\"question\":\"Q2\",\
                    \"answer\":\"A2\",\"category\":\"\",\"keywords\":\"x、y,z\"}";
        let parse = parse_faq_jsonl(text.as_bytes());
        assert!(parse.bad_lines.is_empty(), "{:?}", parse.bad_lines);
        assert_eq!(parse.entries.len(), 2);
        assert_eq!(parse.entries[0].question, "Q?");
        assert_eq!(parse.entries[0].keywords, ["k1", "k2"]);
        assert_eq!(parse.entries[1].keywords, ["x", "y", "z"]);
    }

    #[test]
    fn bad_lines_are_reported_with_number_and_reason() {
        let lines = [
            r#"{"id":"ok","question":"Q","answer":"A","category":"c"}"#,
            r#"{"id":"x","question":"Q","answer":"A""#,
            r#"["not", "an", "object"]"#,
            r#"{"id":"y","answer":"A","category":"c"}"#,
            r#"{"id":"z","question":"   ","answer":"A","category":"c"}"#,
            r#"{"id":7,"question":"Q","answer":"A","category":"c"}"#,
            r#"{"id":"ok","question":"Q","answer":"A","category":"c"}"#,
            r#"{"id":"k","question":"Q","answer":"A","category":"c","keywords":[1]}"#,
            r#"{"id":"m","question":"Q","answer":"A"}"#,
        ];
        let mut bytes = lines.join("\n").into_bytes();
        bytes.extend_from_slice(b"\n\xff\xfe\n");
        let parse = parse_faq_jsonl(bytes.as_slice());
        assert_eq!(parse.entries.len(), 1);
        let got: Vec<(usize, FaqLineError)> =
            parse.bad_lines.iter().map(|b| (b.line, b.error.clone())).collect();
        assert!(matches!(got[0], (2, FaqLineError::BadJson(_))));
        assert_eq!(got[1], (3, FaqLineError::NotAnObject));
        assert_eq!(got[2], (4, FaqLineError::MissingField("question")));
        assert_eq!(got[3], (5, FaqLineError::Empty("question")));
        assert_eq!(got[4], (6, FaqLineError::WrongType { field: "id", expected: "文字列" }));
        assert_eq!(got[5], (7, FaqLineError::DuplicateId { id: "ok".into(), first_line: 1 }));
        assert!(matches!(got[6], (8, FaqLineError::WrongType { field: "keywords", .. })));
        assert_eq!(got[7], (9, FaqLineError::MissingField("category")));
        assert_eq!(got[8], (10, FaqLineError::NotUtf8));
        assert_eq!(got.len(), 9);
        assert_eq!(parse.bad_lines[2].to_string(), "4 行目: 項目 `question` がありません");
    }
}
