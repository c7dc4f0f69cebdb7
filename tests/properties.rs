//! Property tests (proptest) of the pure rules an operator's input reaches: institution
//! codes, the normaliser, the reader application state machine, the subsidy calculator, the
//! CSV and JSONL importers on any bytes, and the keymap parser. Case counts are set per
//! block (`CASES_*`) and listed in the README; a failure prints the shrunk input.

use chrono::NaiveDate;
use madoguchi::domain::institution::expected_check_digit;
use madoguchi::domain::reader::{apply_change, cancel_past_deadline, reinstate};
use madoguchi::domain::{
    InstitutionCode, InstitutionKind, Policy, ReaderApplication, ReaderChange, ReaderStatus,
};
use madoguchi::import::faq::parse_faq_jsonl;
use madoguchi::import::institutions::parse_institutions;
use madoguchi::search::normalize::{fold, query_digits, reading_key};
use madoguchi::tui::Keymap;
use madoguchi::tui::keymap::Chord;
use proptest::prelude::*;

const CASES_TEXT: u32 = 2_000;
const CASES_RULES: u32 = 1_000;
const CASES_IMPORT: u32 = 500;

const KINDS: [InstitutionKind; 4] = [
    InstitutionKind::Hospital,
    InstitutionKind::MedicalClinic,
    InstitutionKind::DentalClinic,
    InstitutionKind::Pharmacy,
];

fn kind() -> impl Strategy<Value = InstitutionKind> {
    prop::sample::select(KINDS.to_vec())
}

/// Ten digits with a prefecture number that exists (01–47, 51–97).
fn valid_digits() -> impl Strategy<Value = String> {
    let prefecture = prop_oneof![1u8..=47, 51u8..=97];
    (prefecture, prop::collection::vec(0u8..=9, 8)).prop_map(|(p, rest)| {
        let mut s = format!("{p:02}");
        s.extend(rest.into_iter().map(|d| char::from(b'0' + d)));
        s
    })
}

/// How an operator might type the same digits: full-width, hyphens, spaces.
fn typed(digits: &str, style: &[u8]) -> String {
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        let s = style.get(i).copied().unwrap_or(0);
        if s % 3 == 1 {
            out.push(char::from_u32('０' as u32 + (ch as u32 - '0' as u32)).unwrap_or(ch));
        } else {
            out.push(ch);
        }
        match s % 7 {
            2 => out.push('-'),
            3 => out.push(' '),
            4 => out.push('ー'),
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES_TEXT))]

    #[test]
    fn code_parse_never_panics(s in any::<String>()) {
        let _ = InstitutionCode::parse(&s);
    }

    #[test]
    fn a_valid_code_survives_typing_formatting_and_reparsing(
        digits in valid_digits(),
        style in prop::collection::vec(any::<u8>(), 10),
    ) {
        let check = InstitutionCode::parse(&typed(&digits, &style)).expect("a valid code parses");
        prop_assert_eq!(check.code.as_str(), digits.as_str());
        let shown = check.code.to_string();
        let again = InstitutionCode::parse(&shown).expect("reparses");
        prop_assert_eq!(&again, &check);
        prop_assert_eq!(InstitutionCode::from_digits(&digits), Some(check.code.clone()));
        // The check digit the rule expects is accepted without a warning.
        let mut fixed = digits[..9].to_string();
        fixed.push(char::from(b'0' + expected_check_digit(&digits)));
        prop_assert_eq!(InstitutionCode::parse(&fixed).expect("parses").expected_check_digit, None);
    }

    #[test]
    fn fold_is_idempotent(s in any::<String>()) {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn reading_key_of_folded_text_is_idempotent(s in "[\\u{3040}-\\u{30FF}\\u{FF61}-\\u{FF9F}\\u{0300}-\\u{0310}ーｰ ・a-z]{0,30}") {
        let once = reading_key(&fold(&s));
        prop_assert_eq!(reading_key(&fold(&once)), once);
    }

    #[test]
    fn query_digits_never_panics_and_gives_ascii_digits(s in any::<String>()) {
        if let Some(d) = query_digits(&s) {
            prop_assert!(d.bytes().all(|b| b.is_ascii_digit()), "{d:?}");
        }
    }

    #[test]
    fn chord_parse_never_panics_and_round_trips(s in any::<String>()) {
        if let Some(chord) = Chord::parse(&s) {
            let shown = chord.to_string();
            prop_assert_eq!(Chord::parse(&shown), Some(chord), "shown as {:?}", shown);
        }
    }

    #[test]
    fn chord_names_round_trip(
        mods in prop::collection::vec(prop::sample::select(vec!["ctrl-", "alt-", "shift-", "Ctrl+", "ALT+"]), 0..3),
        key in prop_oneof![
            prop::sample::select(vec!["enter", "esc", "tab", "backtab", "up", "pgdn", "home", "delete", "space", "f1", "F12"]).prop_map(str::to_string),
            any::<char>().prop_filter("not blank", |c| !c.is_whitespace()).prop_map(String::from),
        ],
    ) {
        let text = format!("{}{key}", mods.concat());
        let chord = Chord::parse(&text).expect("a named key parses");
        prop_assert_eq!(Chord::parse(&chord.to_string()), Some(chord));
    }

    #[test]
    fn a_keymap_file_of_any_text_is_a_keymap_or_an_error_with_a_line(s in any::<String>()) {
        if let Err(e) = Keymap::layered("k.toml", &s) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn a_keymap_file_of_keymap_like_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("[lookup]".to_string()),
                Just("[global]".to_string()),
                Just("base = \"vim\"".to_string()),
                "[a-z_-]{0,8} = \"[a-zA-Z+ -]{0,12}\"",
                "\"[ -~]{0,10}\" = \\[\"[a-z_]{0,10}\"\\]",
                any::<String>(),
            ],
            0..8,
        ),
    ) {
        let _ = Keymap::layered("k.toml", &lines.join("\n"));
    }
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (0i64..400).prop_map(|d| NaiveDate::from_ymd_opt(2021, 1, 1).expect("date") + chrono::Duration::days(d))
}

fn status() -> impl Strategy<Value = ReaderStatus> {
    prop::sample::select(vec![
        ReaderStatus::NotApplied,
        ReaderStatus::Undecided,
        ReaderStatus::Selected,
        ReaderStatus::Shipped,
        ReaderStatus::Cancelled,
    ])
}

/// One thing that can happen to an application.
#[derive(Debug, Clone)]
enum Step {
    Change { model: String, units: u32, day: NaiveDate },
    Reinstate { model: String, units: u32, day: NaiveDate },
    DeadlineBatch { day: NaiveDate },
}

fn step() -> impl Strategy<Value = Step> {
    let model = prop::sample::select(vec!["pfu-caora", " almex-smapa ", "sample-c", "", "x"])
        .prop_map(str::to_string);
    let units = 0u32..6;
    prop_oneof![
        (model.clone(), units.clone(), day()).prop_map(|(model, units, day)| Step::Change {
            model,
            units,
            day
        }),
        (model, units, day()).prop_map(|(model, units, day)| Step::Reinstate { model, units, day }),
        day().prop_map(|day| Step::DeadlineBatch { day }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES_RULES))]

    /// No sequence of changes gives more free units than the quota, changes a shipped
    /// application, or moves the version by anything but one.
    #[test]
    fn the_application_state_machine_keeps_its_invariants(
        kind in kind(),
        start in status(),
        start_units in 1u32..=3,
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let policy = Policy::builtin();
        let free = policy.free_units(kind);
        let mut app = ReaderApplication {
            status: start,
            model_id: matches!(start, ReaderStatus::Selected | ReaderStatus::Shipped).then(|| "pfu-caora".to_string()),
            units: if start == ReaderStatus::NotApplied { 0 } else { start_units.min(free) },
            applied_on: (start != ReaderStatus::NotApplied).then(|| NaiveDate::from_ymd_opt(2021, 2, 10).expect("date")),
            version: 7,
        };
        for step in steps {
            let before = app.clone();
            let next = match &step {
                Step::Change { model, units, day } => apply_change(&policy, *day, kind, &app, &ReaderChange { model_id: model.clone(), units: *units }).ok(),
                Step::Reinstate { model, units, day } => reinstate(&policy, *day, kind, &app, &ReaderChange { model_id: model.clone(), units: *units }).ok(),
                Step::DeadlineBatch { day } => cancel_past_deadline(&policy, *day, &app),
            };
            let Some(next) = next else { continue };
            prop_assert!(before.status != ReaderStatus::Shipped, "a shipped application changed: {before:?} → {next:?} by {step:?}");
            prop_assert_eq!(next.version, before.version + 1);
            prop_assert!(next.units <= free, "{} units > quota {} for {:?} by {:?}", next.units, free, kind, step);
            prop_assert!(next.units >= 1, "an application of 0 units by {step:?}");
            if next.status == ReaderStatus::Selected {
                let model = next.model_id.as_deref().unwrap_or("");
                prop_assert!(!model.is_empty() && model.trim() == model, "model {model:?} by {step:?}");
            }
            app = next;
        }
    }

    /// The subsidy is never above the row's maximum nor above the cost, and never falls when
    /// the cost rises.
    #[test]
    fn the_subsidy_is_capped_and_monotone_in_cost(
        kind in kind(),
        large_chain in any::<bool>(),
        units in 0u32..6,
        a in 0u64..2_000_000_000,
        b in 0u64..2_000_000_000,
    ) {
        let policy = Policy::builtin();
        let free = policy.free_units(kind);
        let Ok(row) = policy.subsidy_row(kind, large_chain, units) else {
            prop_assert!(units == 0 || units > free, "no row for {units} units of {kind:?}");
            return Ok(());
        };
        let (lo, hi) = (a.min(b), a.max(b));
        let (p_lo, p_hi) = (row.payable(lo), row.payable(hi));
        prop_assert!(p_hi <= row.max_yen && p_hi <= hi);
        prop_assert!(p_lo <= p_hi, "{lo}円 → {p_lo}円 but {hi}円 → {p_hi}円");
        let payable = madoguchi::domain::subsidy::payable_yen(&policy, kind, large_chain, units, hi).expect("payable");
        prop_assert_eq!(payable, p_hi);
    }
}

/// CSV-like bytes: the header, then rows of fields that are sometimes right, sometimes not.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        valid_digits(),
        Just("medical_clinic".to_string()),
        Just("pharmacy".to_string()),
        Just("東京都".to_string()),
        Just("\"a,b\"".to_string()),
        Just("\"".to_string()),
        "[\\u{0}-\\u{7f}あ-ん医療法人]{0,12}",
    ];
    let row = prop::collection::vec(field, 0..11).prop_map(|f| f.join(","));
    (prop::bool::ANY, prop::collection::vec(row, 0..12), prop::collection::vec(any::<u8>(), 0..8)).prop_map(
        |(header, rows, tail)| {
            let mut out = Vec::new();
            if header {
                out.extend_from_slice(
                    b"code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain\n",
                );
            }
            out.extend_from_slice(rows.join("\n").as_bytes());
            out.extend_from_slice(&tail);
            out
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES_IMPORT))]

    /// Any bytes: a report (rows, rejections with their line) or a file-level error, never a
    /// panic; no code accepted twice.
    #[test]
    fn the_csv_importer_reports_on_any_bytes(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..400), csv_bytes()]) {
        match parse_institutions(bytes.as_slice()) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(parse) => {
                let mut codes: Vec<&str> = parse.rows.iter().map(|r| r.institution.code.as_str()).collect();
                let n = codes.len();
                codes.sort_unstable();
                codes.dedup();
                prop_assert_eq!(codes.len(), n, "a code accepted twice");
                for r in &parse.rejected {
                    prop_assert!(r.line >= 2 && !r.reason.is_empty(), "{r:?}");
                }
                for r in &parse.rows {
                    prop_assert!(r.line >= 2);
                }
            }
        }
    }

    /// Any bytes: entries with unique ids and non-empty text, bad lines with their number.
    #[test]
    fn the_faq_importer_reports_on_any_bytes(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            prop::collection::vec(
                prop_oneof![
                    Just(r#"{"id":"a","question":"q","answer":"a","category":"c"}"#.to_string()),
                    Just(r#"{"id":"b","question":"q","answer":"a","category":"c","keywords":["x"]}"#.to_string()),
                    Just(r#"{"id":"a","question":" ","answer":"a","category":"c"}"#.to_string()),
                    Just("[1,2]".to_string()),
                    "[{}\":, a-z0-9\\u{0}]{0,30}",
                ],
                0..10,
            ).prop_map(|l| l.join("\n").into_bytes()),
        ],
    ) {
        let parse = parse_faq_jsonl(bytes.as_slice());
        let lines = bytes.split(|&b| b == b'\n').count();
        let mut ids: Vec<&str> = parse.entries.iter().map(|e| e.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), n, "an id accepted twice");
        for e in &parse.entries {
            prop_assert!(!e.id.is_empty() && !e.question.is_empty() && !e.answer.is_empty());
        }
        for b in &parse.bad_lines {
            prop_assert!(b.line >= 1 && b.line <= lines, "{b:?} of {lines} lines");
        }
    }
}
