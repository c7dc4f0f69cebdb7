//! The console's pure `update` and `view` under a long random session: tens of thousands of
//! key commands, typed characters (control characters, combining marks, wide and
//! ambiguous-width symbols), pastes up to a megabyte, resizes from 1×1 to 500×200, and
//! server answers made of hostile data (ambiguous symbols, control characters, huge names,
//! highlight spans pointing anywhere). No panic; the state stays valid after every step; in
//! ASCII mode no ambiguous-width character is ever on screen. Seeded: a failure replays.

use chrono::{NaiveDate, TimeZone, Utc};
use madoguchi::api::{
    FaqEntry, FaqHit, FaqResponse, InstitutionDetail, InstitutionSummary, LookupResponse, MatchSpan,
    ReaderApplicationView,
};
use madoguchi::client::ClientError;
use madoguchi::domain::{
    Institution, InstitutionCode, InstitutionKind, ReaderApplication, ReaderModel, ReaderStatus,
};
use madoguchi::tui::action::EditKey;
use madoguchi::tui::field::MAX_CHARS;
use madoguchi::tui::text::ambiguous;
use madoguchi::tui::{Action, Command, Effect, State, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// xorshift64*: small, seeded, enough to pick events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters a hostile or unlucky source can produce.
const NASTY: &[char] = &[
    'a',
    'Z',
    '0',
    ' ',
    'あ',
    'ア',
    'ｶ',
    'ﾞ',
    'ﾟ',
    '矢',
    '嶋',
    '※',
    '○',
    '①',
    '⑳',
    '■',
    '×',
    '…',
    '─',
    '│',
    '→',
    '\u{0}',
    '\u{7}',
    '\u{8}',
    '\u{1b}',
    '\t',
    '\n',
    '\r',
    '\u{7f}',
    '\u{9b}',
    '\u{200b}',
    '\u{200d}',
    '\u{202e}',
    '\u{3099}',
    '\u{301}',
    '\u{fe0f}',
    '😀',
    '👨',
    '\u{1f1ef}',
    '\u{10ffff}',
    '\u{fffd}',
    'Ω',
    'д',
    '　',
];

fn nasty_string(rng: &mut Rng, max: usize) -> String {
    let n = rng.below(max + 1);
    (0..n).map(|_| *rng.pick(NASTY)).collect()
}

fn summary(rng: &mut Rng, i: usize) -> InstitutionSummary {
    let name = nasty_string(rng, 60);
    let len = name.len();
    InstitutionSummary {
        code: format!("13{:08}", i),
        name,
        name_kana: Some(nasty_string(rng, 40)),
        kind: *rng.pick(&[
            InstitutionKind::MedicalClinic,
            InstitutionKind::DentalClinic,
            InstitutionKind::Pharmacy,
        ]),
        prefecture: nasty_string(rng, 8),
        city: nasty_string(rng, 12),
        reader_status: *rng.pick(&[
            ReaderStatus::Undecided,
            ReaderStatus::Selected,
            ReaderStatus::NotApplied,
        ]),
        match_kind: "reading".into(),
        score: 1.0,
        // Spans that may run past the text, backwards, or through a character.
        highlights: (0..rng.below(3))
            .map(|_| MatchSpan {
                field: rng.pick(&["name", "name_kana", "code", "phone", "?"]).to_string(),
                start: rng.below(len + 20),
                end: rng.below(len + 20),
            })
            .collect(),
    }
}

fn application_view(rng: &mut Rng) -> ReaderApplicationView {
    ReaderApplicationView {
        application: ReaderApplication {
            status: ReaderStatus::Undecided,
            model_id: None,
            units: 1 + rng.below(3) as u32,
            applied_on: NaiveDate::from_ymd_opt(2021, 3, 1),
            version: rng.below(5) as i64,
        },
        model: None,
        free_units: rng.below(3) as u32,
        selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).expect("date"),
        days_left: 17,
        rule_note: nasty_string(rng, 200),
    }
}

fn detail(rng: &mut Rng, code: &str) -> InstitutionDetail {
    // The console only asks for codes it was shown; anything else gets a fixed valid one.
    let code = InstitutionCode::from_digits(code)
        .or_else(|| InstitutionCode::from_digits("1310000011"))
        .expect("a ten-digit code");
    InstitutionDetail {
        institution: Institution {
            code,
            name: nasty_string(rng, 300),
            name_kana: Some(nasty_string(rng, 50)),
            kana_inferred: rng.below(2) == 0,
            kind: InstitutionKind::DentalClinic,
            prefecture: nasty_string(rng, 10),
            city: nasty_string(rng, 10),
            postal_code: nasty_string(rng, 10),
            address: nasty_string(rng, 200),
            phone: Some(nasty_string(rng, 20)),
            large_chain: false,
        },
        do_not_call: None,
        check_digit_warning: (rng.below(2) == 0).then(|| nasty_string(rng, 50)),
        reader_application: application_view(rng),
    }
}

fn offline() -> ClientError {
    ClientError::Offline("接続が切れました".into())
}

/// The server's answer to one effect, sometimes a failure.
fn answer(rng: &mut Rng, effect: &Effect) -> Option<Action> {
    let fail = rng.below(6) == 0;
    Some(match effect {
        Effect::Lookup { seq, query } => Action::LookupDone {
            seq: *seq,
            reply: if fail {
                Err(offline())
            } else {
                let n = rng.below(40);
                Ok(LookupResponse {
                    query: query.clone(),
                    results: (0..n).map(|i| summary(rng, i)).collect(),
                })
            },
        },
        Effect::LoadInstitution { code } => Action::InstitutionLoaded {
            code: code.clone(),
            reply: if fail { Err(offline()) } else { Ok(detail(rng, code)) },
        },
        Effect::LoadApplication { code } => Action::ApplicationLoaded {
            code: code.clone(),
            reply: if fail { Err(offline()) } else { Ok(application_view(rng)) },
        },
        Effect::LoadModels => Action::ModelsLoaded(Ok((0..rng.below(4))
            .map(|i| ReaderModel {
                id: format!("m{i}"),
                maker: nasty_string(rng, 20),
                name: nasty_string(rng, 20),
                sample: i == 0,
            })
            .collect())),
        Effect::Faq { seq, query } => Action::FaqDone {
            seq: *seq,
            reply: if fail {
                Err(offline())
            } else {
                Ok(FaqResponse {
                    query: query.clone(),
                    results: (0..rng.below(12))
                        .map(|i| FaqHit {
                            entry: FaqEntry {
                                id: format!("faq-{i}"),
                                question: nasty_string(rng, 80),
                                answer: nasty_string(rng, 2000),
                                category: nasty_string(rng, 10),
                                keywords: vec![nasty_string(rng, 10)],
                            },
                            score: 1.0,
                        })
                        .collect(),
                    confident: rng.below(2) == 0,
                })
            },
        },
        Effect::Change { .. } => Action::ChangeDone { key: "k".into(), reply: Err(offline()) },
        _ => return None,
    })
}

/// One random event: mostly commands and typing, now and then a paste or a resize.
fn event(rng: &mut Rng, size: &mut (u16, u16)) -> Action {
    match rng.below(100) {
        0..=44 => Action::Command(*rng.pick(Command::ALL)),
        45..=69 => Action::Insert(*rng.pick(NASTY)),
        70..=79 => Action::Edit(*rng.pick(&[
            EditKey::Backspace,
            EditKey::Delete,
            EditKey::Left,
            EditKey::Right,
            EditKey::Home,
            EditKey::End,
            EditKey::Clear,
            EditKey::DeleteWord,
        ])),
        80..=86 => Action::Paste(match rng.below(40) {
            // A megabyte now and then, control characters and all.
            0 => "※①\u{1b}[2J\u{7}山田\r\n".repeat(1 << 17),
            _ => nasty_string(rng, 300),
        }),
        87..=92 => {
            *size = match rng.below(8) {
                0 => (1, 1),
                1 => (500, 200),
                2 => (80, 24),
                _ => (1 + rng.below(500) as u16, 1 + rng.below(200) as u16),
            };
            Action::Resize(size.0, size.1)
        }
        _ => Action::Tick(
            Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).single().expect("t")
                + chrono::Duration::seconds(rng.below(7200) as i64),
        ),
    }
}

/// What must hold after every step, whatever happened.
fn check_valid(s: &State, step: usize) {
    let lookup = &s.lookup;
    assert!(
        lookup.results.is_empty() || lookup.selected < lookup.results.len(),
        "step {step}: lookup selection"
    );
    let faq = &s.faq.search;
    assert!(faq.results.is_empty() || faq.selected < faq.results.len(), "step {step}: faq selection");
    for field in [&lookup.input, &faq.input, &s.calls.note] {
        assert!(field.value().chars().count() <= MAX_CHARS, "step {step}: a field over its limit");
        assert!(!field.value().chars().any(char::is_control), "step {step}: a control character in a field");
    }
}

/// Runs `steps` random events on a fresh console; draws every few steps and after resizes.
fn session(seed: u64, steps: usize, ascii: bool) -> (usize, usize) {
    let mut rng = Rng(seed);
    let now = Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).single().expect("time");
    let mut state = State::new("fuzz", ascii, true, "fuzz", now);
    let mut size = (80u16, 24u16);
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
    let mut draws = 0;
    let mut pending: Vec<Effect> = Vec::new();
    for step in 0..steps {
        let before = size;
        let action = if !pending.is_empty() && rng.below(2) == 0 {
            let effect = pending.remove(rng.below(pending.len()));
            match answer(&mut rng, &effect) {
                Some(a) => a,
                None => continue,
            }
        } else {
            event(&mut rng, &mut size)
        };
        if state.quit {
            state.quit = false;
        }
        let effects = update(&mut state, action);
        pending.extend(effects);
        pending.truncate(64);
        check_valid(&state, step);
        if size != before {
            term = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
        }
        if size != before || step % 7 == 0 {
            let frame = term.draw(|f| view(&state, f)).expect("draw");
            draws += 1;
            if ascii {
                let bad: Vec<&str> = frame
                    .buffer
                    .content
                    .iter()
                    .map(|c| c.symbol())
                    .filter(|s| s.chars().any(ambiguous))
                    .collect();
                assert!(bad.is_empty(), "step {step}: ambiguous-width symbols on an ASCII screen: {bad:?}");
            }
        }
    }
    (steps, draws)
}

#[test]
fn a_long_random_session_never_panics_and_stays_valid() {
    let (steps, draws) = session(0x6d61_646f_6775_6368, 15_000, false);
    println!("unicode mode: {steps} events, {draws} frames drawn");
}

#[test]
fn a_long_random_session_in_ascii_mode_shows_no_ambiguous_width_symbol() {
    let (steps, draws) = session(0x0123_4567_89ab_cdef, 15_000, true);
    println!("ascii mode: {steps} events, {draws} frames drawn");
}
