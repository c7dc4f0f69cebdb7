//! Every console screen drawn on ratatui's TestBackend at 80×24 (and ASCII mode, NO_COLOR,
//! too small), driven only through `update()` with actions, as the runner would.

use chrono::{NaiveDate, TimeZone, Utc};
use madoguchi::api::{
    AuditEvent, Call, ChangeReceipt, Dashboard, DeadlineBatchResult, FaqEntry, FaqHit, FaqResponse,
    InstitutionDetail, InstitutionSummary, LookupResponse, MatchSpan, Me, PrefectureUndecided,
    ReaderApplicationView, Role, SubsidyView,
};
use madoguchi::client::ClientError;
use madoguchi::domain::call::{CallBackCounts, HourCount, OperatorReport, PendingChange, ReasonCount};
use madoguchi::domain::{
    CallBack, CallBackState, CallReport, Institution, InstitutionCode, InstitutionKind, ReaderApplication,
    ReaderModel, ReaderStatus, SubsidyClaim, SubsidyStatus,
};
use madoguchi::tui::{Action, Command, Keymap, State, update, view};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};

const CODE: &str = "1331234567";

fn base(ascii: bool) -> State {
    let keymap = Keymap::default_map();
    let mut s =
        State::new("embedded", ascii, true, "test", Utc.with_ymd_and_hms(2021, 7, 15, 1, 2, 3).unwrap());
    s.help = keymap.help_lines();
    s.hints = keymap.hints();
    s.connected = true;
    update(
        &mut s,
        Action::MeLoaded(Ok(Me {
            name: "yamada".into(),
            role: Role::Operator,
            business_date: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
            date_fixed: true,
            selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
            wrap_up_reasons: madoguchi::domain::Policy::builtin().wrap_up_reason,
            server_now: None,
        })),
    );
    update(&mut s, Action::ModelsLoaded(Ok(models())));
    s
}

fn models() -> Vec<ReaderModel> {
    vec![
        ReaderModel {
            id: "pfu-caora".into(),
            maker: "PFU".into(),
            name: "Caora（カオラ）".into(),
            sample: false,
        },
        ReaderModel {
            id: "almex-smapa".into(),
            maker: "アルメックス".into(),
            name: "Sma-pa マイナタッチ".into(),
            sample: false,
        },
        ReaderModel {
            id: "sample-c".into(),
            maker: "見本メーカーC".into(),
            name: "見本機C".into(),
            sample: true,
        },
    ]
}

fn summary(
    code: &str,
    name: &str,
    kana: &str,
    kind: InstitutionKind,
    city: &str,
    hl: Vec<MatchSpan>,
) -> InstitutionSummary {
    InstitutionSummary {
        code: code.into(),
        name: name.into(),
        name_kana: Some(kana.into()),
        kind,
        prefecture: "東京都".into(),
        city: city.into(),
        reader_status: ReaderStatus::Undecided,
        match_kind: "reading_prefix".into(),
        score: 1.0,
        highlights: hl,
    }
}

fn app_view(
    version: i64,
    status: ReaderStatus,
    model: Option<ReaderModel>,
    days_left: i64,
) -> ReaderApplicationView {
    ReaderApplicationView {
        application: ReaderApplication {
            status,
            model_id: model.as_ref().map(|m| m.id.clone()),
            units: 1,
            applied_on: NaiveDate::from_ymd_opt(2021, 3, 12),
            version,
        },
        model,
        free_units: 1,
        selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
        days_left,
        rule_note: "機種未定の申込は 2021-08-01 までに機種を選んでください。過ぎるとキャンセル扱いです。"
            .into(),
    }
}

fn detail() -> InstitutionDetail {
    InstitutionDetail {
        institution: Institution {
            code: InstitutionCode::from_digits(CODE).expect("a ten-digit code"),
            name: "医療法人社団 矢嶋歯科医院".into(),
            name_kana: Some("ヤジマシカイイン".into()),
            kana_inferred: true,
            kind: InstitutionKind::DentalClinic,
            prefecture: "東京都".into(),
            city: "杉並区".into(),
            postal_code: "166-0004".into(),
            address: "阿佐谷南一丁目1番1号".into(),
            phone: Some("03-5555-0101".into()),
            large_chain: false,
        },
        do_not_call: None,
        check_digit_warning: Some("検証番号は 3 のはずです（入力は 7）".into()),
        reader_application: app_view(3, ReaderStatus::Undecided, None, 17),
    }
}

fn lookup_results() -> Vec<InstitutionSummary> {
    let hl = |a, b| vec![MatchSpan { field: "name_kana".into(), start: a, end: b }];
    vec![
        summary(
            CODE,
            "医療法人社団 矢嶋歯科医院",
            "ヤジマシカイイン",
            InstitutionKind::DentalClinic,
            "杉並区",
            hl(0, 3),
        ),
        summary(
            "1312345678",
            "やじま内科・消化器内科クリニック（東京都杉並区阿佐谷北分院）",
            "ヤジマナイカ",
            InstitutionKind::MedicalClinic,
            "杉並区",
            vec![MatchSpan { field: "name".into(), start: 0, end: 3 }],
        ),
        summary("1341234561", "ﾔｼﾞﾏ薬局", "ヤジマヤッキョク", InstitutionKind::Pharmacy, "足立区", hl(0, 3)),
    ]
}

fn type_str(s: &mut State, text: &str) {
    for c in text.chars() {
        update(s, Action::Insert(c));
    }
}

fn with_lookup(ascii: bool) -> State {
    let mut s = base(ascii);
    type_str(&mut s, "yajima");
    let seq = s.lookup.seq;
    update(
        &mut s,
        Action::LookupDone {
            seq,
            reply: Ok(LookupResponse { query: "yajima".into(), results: lookup_results() }),
        },
    );
    s
}

fn opened(ascii: bool) -> State {
    let mut s = with_lookup(ascii);
    update(&mut s, Action::Command(Command::Confirm));
    update(&mut s, Action::InstitutionLoaded { code: CODE.into(), reply: Ok(detail()) });
    update(
        &mut s,
        Action::SubsidyLoaded {
            code: CODE.into(),
            reply: Ok(SubsidyView {
                claim: Some(SubsidyClaim {
                    status: SubsidyStatus::UnderReview,
                    project_cost_yen: 450_000,
                    units: 1,
                    submitted_on: NaiveDate::from_ymd_opt(2021, 6, 1).unwrap(),
                    decided_on: None,
                    paid_on: None,
                    payable_yen: 321_000,
                }),
                kind: InstitutionKind::DentalClinic,
                large_chain: false,
                units: 1,
                cost_cap_yen: 429_000,
                max_payable_yen: 321_000,
                rule_note: "診療所: 事業額 429,000円を上限に、その3/4（上限 321,000円）".into(),
            }),
        },
    );
    update(
        &mut s,
        Action::AuditLoaded {
            code: CODE.into(),
            reply: Ok(vec![AuditEvent {
                seq: 12,
                at: Utc.with_ymd_and_hms(2021, 7, 14, 2, 30, 0).unwrap(),
                operator: "suzuki".into(),
                action: "reader_application.change".into(),
                code: Some(CODE.into()),
                receipt_no: Some("R-20210714-0007".into()),
                detail: serde_json::json!({
                    "caller_name": "矢嶋 花子", "caller_role": "事務長",
                    "before": {"status": "undecided", "model_id": null, "units": 1},
                    "after": {"status": "selected", "model_id": "pfu-caora", "units": 1}
                }),
                prev_hash: "a".into(),
                hash: "b".into(),
            }]),
        },
    );
    update(
        &mut s,
        Action::InstitutionCallsLoaded {
            code: CODE.into(),
            reply: Ok(vec![Call {
                id: 3,
                operator: "suzuki".into(),
                started_at: Utc.with_ymd_and_hms(2021, 7, 14, 2, 25, 0).unwrap(),
                ended_at: Some(Utc.with_ymd_and_hms(2021, 7, 14, 2, 31, 0).unwrap()),
                code: Some(CODE.into()),
                note: "機種の変更依頼。折り返しで本人確認済み".into(),
                receipts: vec!["R-20210714-0007".into()],
                ..Default::default()
            }]),
        },
    );
    s
}

/// The dialog on its confirmation step.
fn confirming(ascii: bool) -> State {
    let mut s = opened(ascii);
    update(&mut s, Action::Command(Command::Change));
    update(&mut s, Action::Command(Command::Next));
    type_str(&mut s, "矢嶋 花子");
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Confirm));
    s
}

fn submitted(ascii: bool) -> (State, String) {
    let mut s = confirming(ascii);
    update(&mut s, Action::Command(Command::Confirm));
    let key = s.dialog.as_ref().and_then(|d| d.idempotency_key.clone()).expect("key");
    (s, key)
}

fn draw(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(state, f)).unwrap();
    t
}

macro_rules! snap {
    ($name:expr, $state:expr) => {{
        let t = draw(&$state, 80, 24);
        insta::assert_snapshot!($name, t.backend());
        t
    }};
}

#[test]
fn lookup_screens() {
    snap!("lookup_empty", base(false));
    let mut t = snap!("lookup_results", with_lookup(false));
    // The hardware cursor sits at the caret: after "yajima", column 1 + 6.
    assert_eq!(t.backend_mut().get_cursor_position().unwrap(), ratatui::layout::Position { x: 7, y: 1 });
    let mut s = base(false);
    type_str(&mut s, "zzzz");
    let seq = s.lookup.seq;
    update(
        &mut s,
        Action::LookupDone { seq, reply: Ok(LookupResponse { query: "zzzz".into(), results: vec![] }) },
    );
    snap!("lookup_no_results", s);
    let mut s = base(false);
    type_str(&mut s, "yaj");
    let seq = s.lookup.seq;
    update(&mut s, Action::LookupDone { seq, reply: Err(ClientError::Offline("connection refused".into())) });
    snap!("lookup_offline", s);
}

#[test]
fn caret_follows_wide_characters() {
    let mut s = base(false);
    type_str(&mut s, "矢嶋");
    let mut t = draw(&s, 80, 24);
    assert_eq!(t.backend_mut().get_cursor_position().unwrap(), ratatui::layout::Position { x: 5, y: 1 });
    update(&mut s, Action::Edit(madoguchi::tui::action::EditKey::Left));
    let mut t = draw(&s, 80, 24);
    assert_eq!(t.backend_mut().get_cursor_position().unwrap(), ratatui::layout::Position { x: 3, y: 1 });
}

#[test]
fn institution_tabs() {
    let mut s = opened(false);
    for name in [
        "institution_overview",
        "institution_reader",
        "institution_subsidy",
        "institution_history",
        "institution_calls",
    ] {
        snap!(name, s);
        update(&mut s, Action::Command(Command::Next));
    }
}

/// Issue 25: 架電不要 kept on the institution shows on its header (with the day it was
/// recorded), so an operator on an inbound call knows the centre must not call it.
#[test]
fn r25_do_not_call_is_marked_on_the_institution_header() {
    let mut s = with_lookup(false);
    update(&mut s, Action::Command(Command::Confirm));
    let mut marked = detail();
    marked.do_not_call = Some(madoguchi::api::campaign::DoNotCallMark {
        marked_at: Utc.with_ymd_and_hms(2021, 7, 12, 2, 0, 0).unwrap(),
        marked_by: "sato".into(),
        campaign_id: Some(1),
    });
    update(&mut s, Action::InstitutionLoaded { code: CODE.into(), reply: Ok(marked) });
    let text = screen_text(&s);
    let header = text.lines().nth(1).unwrap_or_default();
    assert!(header.contains("矢嶋歯科医院") && header.contains("【架電不要7/12】"), "{text}");
    let unmarked = screen_text(&opened(false));
    assert!(!unmarked.contains("架電不要"), "{unmarked}");
}

#[test]
fn institution_live_update_notice() {
    let mut s = opened(false);
    update(
        &mut s,
        Action::ServerEvent(madoguchi::api::ServerEvent::ApplicationChanged {
            code: CODE.into(),
            version: 4,
            operator: "tanaka".into(),
            receipt_no: Some("R-20210715-0100".into()),
        }),
    );
    snap!("institution_changed_elsewhere", s);
}

#[test]
fn change_dialog_stages() {
    let mut s = opened(false);
    update(&mut s, Action::Command(Command::Change));
    update(&mut s, Action::Command(Command::Next));
    type_str(&mut s, "矢嶋");
    let mut t = snap!("dialog_editing", s);
    // caret after "矢嶋" in the caller field
    let pos = t.backend_mut().get_cursor_position().unwrap();
    assert_eq!(pos, ratatui::layout::Position { x: 2 + 1 + 11 + 4, y: 1 + 4 }, "{pos:?}");

    snap!("dialog_confirm", confirming(false));

    let (mut s, key) = submitted(false);
    update(
        &mut s,
        Action::ChangeDone {
            key: key.clone(),
            reply: Err(ClientError::Api {
                status: 409,
                code: "rule_refused".into(),
                message: "発送済の申込は変更できません。発送元にご連絡ください。".into(),
            }),
        },
    );
    snap!("dialog_refused", s);

    let (mut s, key) = submitted(false);
    update(
        &mut s,
        Action::ChangeDone {
            key: key.clone(),
            reply: Err(ClientError::Stale {
                message: "申込は他の操作で変更されています".into(),
                current: Some(Box::new(app_view(4, ReaderStatus::Selected, Some(models()[0].clone()), 17))),
            }),
        },
    );
    snap!("dialog_stale", s);

    let (mut s, key) = submitted(false);
    update(
        &mut s,
        Action::ChangeDone { key: key.clone(), reply: Err(ClientError::Offline("connection reset".into())) },
    );
    snap!("dialog_offline", s);

    let (mut s, key) = submitted(false);
    update(
        &mut s,
        Action::ChangeDone {
            key,
            reply: Ok(ChangeReceipt {
                receipt_no: "R-20210715-0042".into(),
                before: detail().reader_application.application,
                application: app_view(4, ReaderStatus::Selected, Some(models()[1].clone()), 17),
            }),
        },
    );
    snap!("dialog_receipt", s);
}

#[test]
fn faq_calls_dashboard_help() {
    let mut s = base(false);
    update(&mut s, Action::Command(Command::Faq));
    type_str(&mut s, "期限");
    let seq = s.faq.seq;
    let entry = |id: &str, q: &str, a: &str| FaqHit {
        entry: FaqEntry {
            id: id.into(),
            question: q.into(),
            answer: a.into(),
            category: "カードリーダー".into(),
            keywords: vec![],
        },
        score: 1.0,
    };
    update(
        &mut s,
        Action::FaqDone {
            seq,
            reply: Ok(FaqResponse {
                query: "期限".into(),
                results: vec![
                    entry(
                        "f1",
                        "機種未定で申し込みました。機種はいつまでに選べばよいですか？",
                        "2021年8月1日までです（6月末から延長されました）。\n期限までに選ばないと申込はキャンセル扱いになります。\nポータルサイトの申込画面で「メーカー名/製品名（型番）」を変更するか、0800-080-4583 へお電話ください。",
                    ),
                    entry(
                        "f2",
                        "期限を過ぎたらどうなりますか？",
                        "機種未定のままの申込はキャンセル扱いになります。",
                    ),
                ],
                confident: true,
            }),
        },
    );
    let t = snap!("faq", s);
    // The query's words are highlighted in the answer (期限 of 期限までに...), the rest is not.
    let buf = t.backend().buffer().clone();
    let at = (0..24u16)
        .flat_map(|y| (36..76u16).map(move |x| (x, y)))
        .filter(|&(_, y)| (4..21).contains(&y))
        .find(|&(x, y)| {
            buf[(x, y)].symbol() == "期"
                && buf[(x + 2, y)].symbol() == "限"
                && buf[(x + 4, y)].symbol() == "ま"
        })
        .unwrap_or_else(|| {
            let rows: Vec<String> =
                (0..24u16).map(|y| (0..80u16).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect();
            panic!("期限までに not in the answer pane: {rows:#?}")
        });
    assert!(
        buf[at].modifier.contains(ratatui::style::Modifier::BOLD),
        "期 not highlighted at {at:?}: {:?}",
        buf[at]
    );
    assert!(!buf[(at.0 + 4, at.1)].modifier.contains(ratatui::style::Modifier::BOLD), "ま highlighted");

    let mut s = base(false);
    update(&mut s, Action::Command(Command::StartCall));
    update(
        &mut s,
        Action::CallSaved(Ok(Call {
            id: 21,
            operator: "yamada".into(),
            started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 58, 0).unwrap(),
            ended_at: None,
            code: Some(CODE.into()),
            note: String::new(),
            receipts: vec!["R-20210715-0042".into()],
            ..Default::default()
        })),
    );
    update(&mut s, Action::Command(Command::Calls));
    update(
        &mut s,
        Action::CallsLoaded(Ok(vec![Call {
            id: 20,
            operator: "yamada".into(),
            started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 30, 0).unwrap(),
            ended_at: Some(Utc.with_ymd_and_hms(2021, 7, 15, 0, 36, 0).unwrap()),
            code: Some("1312345678".into()),
            note: "補助金の上限について".into(),
            receipts: vec![],
            reasons: vec!["subsidy".into()],
            ..Default::default()
        }])),
    );
    type_str(&mut s, "折り返し希望");
    snap!("calls", s);
    // Ctrl-X: the wrap-up picker, the change's reason proposed (the call has a receipt).
    update(&mut s, Action::Command(Command::CloseCall));
    update(&mut s, Action::Insert('2'));
    snap!("calls_wrap_up", s);

    let mut s = base(false);
    update(&mut s, Action::Command(Command::Dashboard));
    let prefs = [
        "北海道",
        "青森県",
        "岩手県",
        "宮城県",
        "秋田県",
        "山形県",
        "福島県",
        "茨城県",
        "栃木県",
        "群馬県",
        "埼玉県",
        "千葉県",
        "東京都",
        "神奈川県",
    ];
    update(
        &mut s,
        Action::DashboardLoaded(Ok(Dashboard {
            business_date: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
            selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
            days_left: 17,
            undecided_total: 4321,
            undecided_by_prefecture: prefs
                .iter()
                .enumerate()
                .map(|(i, p)| PrefectureUndecided { prefecture: (*p).into(), undecided: 100 + i as u64 })
                .collect(),
            changes_today: 57,
        })),
    );
    snap!("dashboard", s);
    update(&mut s, Action::Command(Command::DeadlineBatch));
    update(
        &mut s,
        Action::BatchDone(Ok(DeadlineBatchResult {
            dry_run: true,
            cancelled: 4321,
            sample_codes: vec![CODE.into(), "1312345678".into()],
            message: "2021-08-01 を過ぎた機種未定の申込 4321 件をキャンセル扱いにします".into(),
        })),
    );
    snap!("dashboard_dry_run", s);

    let mut s = base(false);
    update(&mut s, Action::Command(Command::Help));
    snap!("help", s);
}

#[test]
fn ascii_mode_has_no_ambiguous_width_symbols() {
    for (name, s) in [
        ("ascii_lookup", with_lookup(true)),
        ("ascii_institution", opened(true)),
        ("ascii_dialog_confirm", confirming(true)),
    ] {
        let t = snap!(name, s);
        let buf = t.backend().buffer();
        for cell in buf.content() {
            for c in cell.symbol().chars() {
                assert!(!is_ambiguous_symbol(c), "{name}: ambiguous-width symbol {c:?} (U+{:04X})", c as u32);
            }
        }
    }
}

/// East Asian Ambiguous symbols the console could draw (box drawing, arrows, geometric
/// shapes, ellipsis, ×, §, ○...). Kana and kanji are Wide, never ambiguous.
fn is_ambiguous_symbol(c: char) -> bool {
    matches!(c as u32,
        0x00A1..=0x00BF | 0x00D7 | 0x00F7 | 0x2010..=0x2027 | 0x2030..=0x203E | 0x2190..=0x21FF
        | 0x2200..=0x22FF | 0x2460..=0x24FF | 0x2500..=0x257F | 0x2580..=0x259F | 0x25A0..=0x25FF
        | 0x2600..=0x26FF)
}

#[test]
fn too_small_says_so() {
    let t = draw(&with_lookup(false), 60, 20);
    insta::assert_snapshot!("too_small", t.backend());
    let t = draw(&with_lookup(true), 79, 24);
    insta::assert_snapshot!("too_small_ascii", t.backend());
}

#[test]
fn popups_do_not_leave_half_wide_glyphs() {
    // The dialog's left edge sits inside the lookup's wide text: the cell just outside the
    // border must not hold the head of a wide glyph whose tail the popup overwrote.
    let s = confirming(false);
    let t = draw(&s, 80, 24);
    let buf = t.backend().buffer();
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let popup_x = (area.width - 76) / 2;
    for y in 0..24 {
        if popup_x > 0 {
            let cell = &buf[(popup_x - 1, y)];
            assert!(
                unicode_width::UnicodeWidthStr::width(cell.symbol()) <= 1,
                "row {y}: {:?}",
                cell.symbol()
            );
        }
    }
}

/// The screen's text, line by line, without spaces (a wide character's second cell is blank).
fn screen_text(state: &State) -> String {
    let t = draw(state, 80, 24);
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol().trim());
        }
        out.push('\n');
    }
    out
}

/// A user's keymap is what every hint, prompt and message names: moving each command to
/// another key moves it everywhere, and no text names a key that is not bound.
#[test]
fn a_users_keymap_is_reflected_in_every_hint() {
    let keymap = Keymap::layered(
        "my.toml",
        r#"
[global]
"ctrl-r" = "none"
f12 = "refresh"
"ctrl-t" = "none"
"ctrl-k" = "attach_call"
"ctrl-o" = "none"
"ctrl-s" = "start_call"
tab = "none"
"ctrl-l" = "next"
enter = "none"
f11 = "confirm"
esc = "none"
"ctrl-g" = "back"
[institution]
f4 = "none"
f7 = "change"
[dashboard]
"ctrl-g" = "none"
f9 = "deadline_batch"
"#,
    )
    .expect("a valid keymap");
    let with_keys = |mut s: State| {
        s.help = keymap.help_lines();
        s.hints = keymap.hints();
        s
    };
    let mut screens = Vec::new();

    // The lookup's offline message names the refresh key.
    let mut s = with_keys(base(false));
    type_str(&mut s, "yaj");
    let seq = s.lookup.seq;
    update(&mut s, Action::LookupDone { seq, reply: Err(ClientError::Offline("connection refused".into())) });
    let text = screen_text(&s);
    assert!(text.contains("F12で再検索"), "{text}");
    screens.push(text);

    // The institution: the overview's sentences, the footer, a pane that failed, F4 too early.
    let mut s = with_keys(opened(false));
    s.calls.current = Some(Call {
        id: 21,
        operator: "yamada".into(),
        started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 58, 0).unwrap(),
        ended_at: None,
        code: None,
        note: String::new(),
        receipts: vec![],
        reasons: vec![],
        caller_phone: None,
        callback_id: None,
        faq: vec![],
    });
    let text = screen_text(&s);
    assert!(text.contains("Ctrl-Lでタブを切替、F7で申込を変更します"), "{text}");
    assert!(text.contains("Ctrl-Kでこの医療機関を応対記録に紐付けます"), "{text}");
    assert!(text.contains("F7変更"), "{text}");
    screens.push(text);
    update(
        &mut s,
        Action::SubsidyLoaded { code: CODE.into(), reply: Err(ClientError::Offline("down".into())) },
    );
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Next));
    let text = screen_text(&s);
    assert!(text.contains("F12で再読み込み"), "{text}");
    screens.push(text);
    update(
        &mut s,
        Action::InstitutionLoaded { code: CODE.into(), reply: Err(ClientError::Offline("down".into())) },
    );
    update(&mut s, Action::Command(Command::Change));
    let message = s.message.as_ref().map(|(_, m)| m.replace(' ', "")).unwrap_or_default();
    assert!(message.contains("表示されてからF7を押してください"), "{message}");
    screens.push(message);

    // The call log: how to start a call, how to attach an institution.
    let mut s = with_keys(base(false));
    update(&mut s, Action::Command(Command::Calls));
    let text = screen_text(&s);
    assert!(text.contains("Ctrl-Sで応対を開始します"), "{text}");
    screens.push(text);
    update(&mut s, Action::Command(Command::StartCall));
    update(
        &mut s,
        Action::CallSaved(Ok(Call {
            id: 22,
            operator: "yamada".into(),
            started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 58, 0).unwrap(),
            ended_at: None,
            code: None,
            note: String::new(),
            receipts: vec![],
            reasons: vec![],
            caller_phone: None,
            callback_id: None,
            faq: vec![],
        })),
    );
    let text = screen_text(&s);
    assert!(text.contains("医療機関を開いてCtrl-K"), "{text}");
    screens.push(text);

    // The prompts: quitting with a call open, the deadline batch's dry run.
    update(&mut s, Action::Command(Command::Quit));
    let text = screen_text(&s);
    assert!(text.contains("F11終了する") && text.contains("Ctrl-G戻る"), "{text}");
    screens.push(text);
    let mut s = with_keys(base(false));
    update(&mut s, Action::Command(Command::Dashboard));
    update(
        &mut s,
        Action::DashboardLoaded(Ok(Dashboard {
            business_date: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
            selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
            days_left: 17,
            undecided_total: 3,
            undecided_by_prefecture: vec![PrefectureUndecided {
                prefecture: "東京都".into(), undecided: 3
            }],
            changes_today: 0,
        })),
    );
    update(&mut s, Action::Command(Command::DeadlineBatch));
    update(
        &mut s,
        Action::BatchDone(Ok(DeadlineBatchResult {
            dry_run: true,
            cancelled: 3,
            sample_codes: vec![CODE.into()],
            message: "試算".into(),
        })),
    );
    let text = screen_text(&s);
    assert!(text.contains("F11で実行/Ctrl-Gで中止"), "{text}");
    assert!(text.contains("F9期限処理"), "{text}");
    screens.push(text);

    for text in &screens {
        for unbound in ["Ctrl-R", "Ctrl-T", "Ctrl-O", "F4", "Enter", "Esc"] {
            assert!(!text.contains(unbound), "{unbound} is not bound but is named:\n{text}");
        }
    }
}

fn callback(
    id: i64,
    due_min: i64,
    state: CallBackState,
    name: &str,
    change: Option<PendingChange>,
) -> CallBack {
    let now = Utc.with_ymd_and_hms(2021, 7, 15, 1, 2, 3).unwrap();
    CallBack {
        id,
        code: CODE.into(),
        phone: "03-5555-0101".into(),
        reason: "機種変更の本人確認（登録電話番号へ折り返し）".into(),
        due_at: now + chrono::Duration::minutes(due_min),
        created_by: "sato".into(),
        created_at: now - chrono::Duration::minutes(40),
        origin_call_id: Some(18),
        call_id: None,
        taken_by: None,
        outcome: None,
        done_at: None,
        state,
        name: Some(name.into()),
        change,
    }
}

fn report() -> CallReport {
    let reasons = madoguchi::domain::Policy::builtin().wrap_up_reason;
    let counts: [u64; 24] = [0, 0, 0, 0, 0, 0, 0, 0, 3, 21, 34, 28, 9, 25, 30, 22, 18, 7, 2, 0, 0, 0, 0, 0];
    CallReport {
        from: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
        to: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
        calls: counts.iter().sum(),
        closed: 195,
        avg_handle_seconds: Some(365),
        by_hour: counts.iter().enumerate().map(|(h, &c)| HourCount { hour: h as u32, calls: c }).collect(),
        by_reason: reasons
            .iter()
            .zip([61u64, 48, 40, 22, 15, 12])
            .map(|(r, n)| ReasonCount { id: r.id.clone(), label: r.label.clone(), calls: n })
            .collect(),
        by_operator: vec![
            OperatorReport { operator: "yamada".into(), calls: 52, avg_handle_seconds: Some(340) },
            OperatorReport { operator: "sato".into(), calls: 49, avg_handle_seconds: Some(402) },
            OperatorReport { operator: "suzuki".into(), calls: 47, avg_handle_seconds: Some(355) },
            OperatorReport { operator: "takahashi".into(), calls: 29, avg_handle_seconds: None },
        ],
        callbacks: CallBackCounts { due: 3, overdue: 1, done: 4 },
        agent_days: vec![madoguchi::domain::floor::AgentDay {
            operator: "yamada".into(),
            signed_in_seconds: 7 * 3600,
            available_seconds: 3600,
            on_call_seconds: 4 * 3600,
            after_call_seconds: 3600,
            away_seconds: 3600,
            away_by_reason: vec![],
            occupancy: Some(5.0 / 6.0),
        }],
    }
}

fn pending() -> PendingChange {
    PendingChange {
        model_id: "almex-smapa".into(),
        units: 1,
        caller_name: "矢嶋 花子".into(),
        caller_role: "事務長".into(),
    }
}

/// The dashboard's call-back list (overdue first), its outcome picker, and the report.
#[test]
fn callbacks_and_report_on_the_dashboard() {
    let mut s = base(false);
    update(&mut s, Action::Command(Command::Dashboard));
    update(&mut s, Action::Command(Command::Next));
    update(
        &mut s,
        Action::CallBacksLoaded(Ok(vec![
            callback(12, -25, CallBackState::Overdue, "医療法人社団 矢嶋歯科医院", Some(pending())),
            callback(14, 20, CallBackState::Due, "あかいクリニック", None),
            callback(15, 24 * 60, CallBackState::Due, "さなえ薬局", None),
        ])),
    );
    update(&mut s, Action::ModelsLoaded(Ok(models())));
    snap!("dashboard_callbacks", s);
    update(&mut s, Action::Command(Command::CloseCallBack));
    update(&mut s, Action::Insert('2'));
    snap!("dashboard_callback_outcome", s);
    update(&mut s, Action::Command(Command::Back));

    update(&mut s, Action::Command(Command::Next));
    let (from, to) = s.dashboard.report.range.expect("a period asked for");
    update(&mut s, Action::ReportLoaded { from, to, reply: Ok(report()) });
    snap!("dashboard_report", s);
    let text = screen_text(&s);
    assert!(text.contains("応対199件") && text.contains("平均処理06:05"), "{text}");
    assert!(text.contains("期限超過1件") && text.contains("機種選定・変更"), "{text}");
}

/// The call-back form on an open call, and the change dialog's verification by call-back.
#[test]
fn callback_form_and_dialog_callback() {
    let mut s = opened(false);
    update(
        &mut s,
        Action::CallSaved(Ok(Call {
            id: 21,
            operator: "yamada".into(),
            started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 58, 0).unwrap(),
            code: Some(CODE.into()),
            ..Default::default()
        })),
    );
    update(&mut s, Action::Command(Command::NewCallBack));
    type_str(&mut s, "補助金申請書の不備について院長へ");
    update(&mut s, Action::Command(Command::Down));
    let mut t = snap!("calls_callback_form", s);
    // The caret (where the IME opens) is at the end of the reason.
    let pos = t.backend_mut().get_cursor_position().unwrap();
    assert_eq!(pos.y, 9, "the reason line");

    let mut s = opened(false);
    update(&mut s, Action::Command(Command::Change));
    update(&mut s, Action::Command(Command::Next));
    type_str(&mut s, "矢嶋 花子");
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Confirm));
    snap!("dialog_callback_confirm", s);
    update(&mut s, Action::Command(Command::Confirm));
    let mut cb = callback(16, 60, CallBackState::Due, "医療法人社団 矢嶋歯科医院", Some(pending()));
    cb.reason = "カードリーダー申込の変更（PFU Caora（カオラ） 1台）の本人確認: 矢嶋 花子（事務長）".into();
    update(&mut s, Action::CallBackCreated { from_dialog: true, reply: Ok(cb) });
    snap!("dialog_callback_registered", s);
    let text = screen_text(&s);
    assert!(text.contains("Ctrl-Dの「折り返し」から開始でき、つながったらF4で変更を確定"), "{text}");
}

/// Suggestions during a call (issue 24): asked when the call opens and again as its note is
/// typed; shown in the message line on every screen; F3 lists them with the first one's answer
/// open (marked as a guess when the server is not confident); Enter puts it on the record.
#[test]
fn faq_suggestions_during_a_call() {
    use madoguchi::api::FaqSuggestions;
    use madoguchi::tui::Effect;
    let mut s = base(false);
    update(&mut s, Action::Command(Command::StartCall));
    let fx = update(
        &mut s,
        Action::CallSaved(Ok(Call {
            id: 31,
            operator: "yamada".into(),
            started_at: Utc.with_ymd_and_hms(2021, 7, 15, 0, 58, 0).unwrap(),
            ended_at: None,
            code: Some(CODE.into()),
            note: String::new(),
            ..Default::default()
        })),
    );
    let asked: Vec<(u64, Option<String>, String)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Suggest { seq, code, note } => Some((*seq, code.clone(), note.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "one request when the call opens: {fx:?}");
    let (seq, code, note) = asked[0].clone();
    assert_eq!((code.as_deref(), note.as_str()), (Some(CODE), ""));
    let hit = |id: &str, q: &str, a: &str| FaqHit {
        entry: FaqEntry {
            id: id.into(),
            question: q.into(),
            answer: a.into(),
            category: "カードリーダー".into(),
            keywords: vec![],
        },
        score: 0.05,
    };
    update(
        &mut s,
        Action::SuggestDone {
            seq,
            reply: Ok(FaqSuggestions {
                query: "機種未定 いつまで 機種 選ぶ 期限".into(),
                results: vec![
                    hit(
                        "reader-undecided-deadline",
                        "機種未定で申し込んだ場合、いつまでに機種を選べばよいですか。",
                        "2021年8月1日（日）までに機種を選んでください。",
                    ),
                    hit(
                        "reader-select-portal",
                        "機種未定から機種を選ぶにはどうすればよいですか（ポータルサイト）。",
                        "ポータルサイトの申込画面で変更します。",
                    ),
                    hit(
                        "reader-undecided-after-deadline",
                        "8月1日までに機種を選ばなかったらどうなりますか。",
                        "申込はキャンセル扱いになります。",
                    ),
                ],
                confident: false,
            }),
        },
    );
    s.message = None;
    let text = screen_text(&s);
    for part in ["応対中の候補（推測）F3:1.機種未定で", "2.機種未定から", "3.8月1日"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    snap!("suggestions_strip", s);

    update(&mut s, Action::Command(Command::Faq));
    snap!("suggestions_in_faq", s);
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::AttachFaq { call_id: 31, faq_id, copied: false } if faq_id == "reader-undecided-deadline")),
        "Enter puts the suggestion on the call's record: {fx:?}"
    );

    // Typing the note asks again (the runner waits for a pause); typing a query replaces the list.
    update(&mut s, Action::Command(Command::Calls));
    let fx = update(&mut s, Action::Insert('補'));
    assert!(fx.iter().any(|e| matches!(e, Effect::Suggest { note, .. } if note == "補")), "{fx:?}");
    update(&mut s, Action::Command(Command::Faq));
    type_str(&mut s, "期限");
    assert_eq!(s.faq.suggested, None, "a typed query is a search, not suggestions");
}
