//! 架電キャンペーン in the console on ratatui's TestBackend at 80×24 (issue 25), driven through
//! `update()` only: 次へ (one key) asks for the campaign and then a member, whose institution
//! opens with the number to dial as an ordinary call; wrap-up opens the outcome picker and
//! records 機種選定済 with the call's 受付番号 in one step; the dashboard's campaign tab draws
//! the burn-down; a supervisor's create form.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use madoguchi::api::campaign::{
    Campaign, CampaignCounts, CampaignMember, CampaignProgress, CampaignState, LeasedMember,
    OperatorProgress, PrefectureProgress, RecordedOutcome,
};
use madoguchi::api::{Call, Me, Role};
use madoguchi::domain::campaign::{BurnDown, BurnDownDay, CampaignFilter, MemberState, Outcome};
use madoguchi::domain::{InstitutionKind, ReaderStatus};
use madoguchi::tui::campaign::{CampaignEffect, CampaignReply};
use madoguchi::tui::{Action, Command, Effect, Keymap, State, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 15, 1, 30, 0).unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, m, d).unwrap()
}

fn base(role: Role) -> State {
    let keymap = Keymap::default_map();
    let mut s = State::new("embedded", false, true, "test", now());
    s.help = keymap.help_lines();
    s.hints = keymap.hints();
    s.connected = true;
    update(
        &mut s,
        Action::MeLoaded(Ok(Me {
            name: "sato".into(),
            role,
            business_date: day(7, 15),
            date_fixed: true,
            selection_deadline: day(8, 1),
            wrap_up_reasons: madoguchi::domain::Policy::builtin().wrap_up_reason,
            server_now: None,
        })),
    );
    s
}

fn campaign() -> Campaign {
    Campaign {
        id: 1,
        name: "機種未定 7月".into(),
        filter: CampaignFilter { status: ReaderStatus::Undecided, prefectures: vec![], kinds: vec![] },
        state: CampaignState::Active,
        created_by: "takahashi".into(),
        created_at: Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap(),
        closed_at: None,
        counts: CampaignCounts {
            members: 8203,
            open: 4100,
            leased: 12,
            done: 3300,
            exhausted: 91,
            left: 640,
            cancelled_by_deadline: 0,
            do_not_call: 60,
        },
    }
}

fn progress() -> CampaignProgress {
    let days: Vec<BurnDownDay> = (0..15)
        .map(|i| BurnDownDay { day: day(7, 1) + Duration::days(i), left: 8203 - 270 * i as u64 })
        .collect();
    CampaignProgress {
        campaign: campaign(),
        today: day(7, 15),
        burn_down: BurnDown {
            days,
            pace_per_day: 268.4,
            pace_days: 5,
            projected_zero: Some(day(7, 31)),
            deadline: day(8, 1),
            on_track: true,
        },
        by_prefecture: vec![
            PrefectureProgress { prefecture: "東京都".into(), members: 820, left: 410, done: 410 },
            PrefectureProgress { prefecture: "大阪府".into(), members: 600, left: 300, done: 300 },
            PrefectureProgress { prefecture: "神奈川県".into(), members: 500, left: 250, done: 250 },
        ],
        by_operator: vec![
            OperatorProgress {
                operator: "sato".into(),
                attempts: 412,
                reached: 300,
                changed: 180,
                average_handle_seconds: Some(214.0),
            },
            OperatorProgress {
                operator: "suzuki".into(),
                attempts: 398,
                reached: 281,
                changed: 170,
                average_handle_seconds: Some(236.0),
            },
        ],
        exhausted: vec![],
    }
}

fn member() -> CampaignMember {
    CampaignMember {
        id: 77,
        campaign_id: 1,
        code: "1311234563".into(),
        name: "あかいクリニック".into(),
        kind: InstitutionKind::MedicalClinic,
        prefecture: "東京都".into(),
        phone: Some("0422-00-1234".into()),
        state: MemberState::Leased,
        application_status: ReaderStatus::Undecided,
        attempts: 0,
        next_try_at: now(),
        last_outcome: None,
        leased_by: Some("sato".into()),
        lease_until: Some(now() + Duration::minutes(15)),
        call_id: Some(500),
    }
}

fn call(receipts: Vec<String>) -> Call {
    Call {
        id: 500,
        operator: "sato".into(),
        started_at: now(),
        ended_at: None,
        code: Some("1311234563".into()),
        note: String::new(),
        receipts,
        reasons: vec![],
        caller_phone: None,
        callback_id: None,
        faq: vec![],
    }
}

fn reply(r: CampaignReply) -> Action {
    Action::Campaign(Box::new(r))
}

fn draw(state: &State) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| view(state, f)).unwrap();
    t
}

fn screen(state: &State) -> String {
    let t = draw(state);
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn r25_next_takes_a_member_and_wrap_up_records_the_outcome_in_one_step() {
    let mut s = base(Role::Operator);
    // One key: the campaign is not known yet, so the list first, then the member.
    let fx = update(&mut s, Action::Command(Command::CampaignNext));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::List)]), "{fx:?}");
    let fx = update(&mut s, reply(CampaignReply::Listed(Ok(vec![campaign()]))));
    assert!(fx.iter().any(|e| matches!(e, Effect::Campaign(CampaignEffect::Next { id: 1 }))), "{fx:?}");
    let leased =
        LeasedMember { member: member(), call: call(vec![]), lease_until: now() + Duration::minutes(15) };
    let fx = update(&mut s, reply(CampaignReply::Leased(Ok(leased))));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadInstitution { code } if code == "1311234563")),
        "{fx:?}"
    );
    assert_eq!(s.calls.current.as_ref().map(|c| c.id), Some(500), "an ordinary call is open");
    let msg = s.message.as_ref().map(|m| m.1.clone()).unwrap_or_default();
    assert!(msg.contains("0422-00-1234"), "the number to dial: {msg}");
    // Pressing 次へ again during the call is refused in words.
    assert!(update(&mut s, Action::Command(Command::CampaignNext)).is_empty());
    // The change dialog gave a receipt; the call reloads with it.
    update(&mut s, Action::CallsLoaded(Ok(vec![call(vec!["R-210715-000042".into()])])));
    update(&mut s, Action::Command(Command::CloseCall));
    assert_eq!(
        s.campaign.picker,
        Some(Outcome::Selected),
        "機種選定済 proposed once the call changed something"
    );
    insta::assert_snapshot!("campaign_outcome_picker", draw(&s).backend());
    let fx = update(&mut s, Action::Command(Command::Confirm));
    match fx.as_slice() {
        [Effect::Campaign(CampaignEffect::Outcome { id: 1, member: 77, body })] => {
            assert_eq!(body.outcome, Outcome::Selected);
            assert_eq!(body.receipt_no.as_deref(), Some("R-210715-000042"));
        }
        other => panic!("expected the outcome, got {other:?}"),
    }
    let mut done = member();
    done.state = MemberState::Done;
    done.last_outcome = Some(Outcome::Selected);
    update(&mut s, reply(CampaignReply::Recorded(Ok(RecordedOutcome { member: done, callback: None }))));
    assert!(s.calls.current.is_none(), "the call closed with the outcome");
    assert!(s.campaign.current.is_none());
    let msg = s.message.as_ref().map(|m| m.1.clone()).unwrap_or_default();
    assert!(msg.contains("機種選定済") && msg.contains("Ctrl-E"), "{msg}");
}

#[test]
fn r25_a_digit_picks_a_retry_outcome_and_outside_hours_is_said_in_the_servers_words() {
    let mut s = base(Role::Operator);
    update(&mut s, reply(CampaignReply::Listed(Ok(vec![campaign()]))));
    let fx = update(&mut s, Action::Command(Command::CampaignNext));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::Next { id: 1 })]));
    let refusal = madoguchi::client::ClientError::Api {
        status: 409,
        code: "rule_refused".into(),
        message: "いまは架電可能時間外です。次に架電できるのは 7月19日（月）9:00 からです。".into(),
    };
    update(&mut s, reply(CampaignReply::Leased(Err(refusal))));
    assert!(s.message.as_ref().is_some_and(|m| m.1.contains("7月19日（月）9:00")));
    assert!(!s.campaign.busy, "次へ works again");
    let leased = LeasedMember { member: member(), call: call(vec![]), lease_until: now() };
    update(&mut s, reply(CampaignReply::Leased(Ok(leased))));
    update(&mut s, Action::Command(Command::CloseCall));
    assert_eq!(s.campaign.picker, Some(Outcome::Absent));
    update(&mut s, Action::Insert('3'));
    assert_eq!(s.campaign.picker, Some(Outcome::ALL[2]));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(
        matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::Outcome { body, .. })] if body.receipt_no.is_none())
    );
}

#[test]
fn r25_the_dashboard_draws_the_burn_down_at_80x24() {
    let mut s = base(Role::Supervisor);
    update(&mut s, Action::Command(Command::Campaign));
    update(&mut s, reply(CampaignReply::Listed(Ok(vec![campaign()]))));
    update(&mut s, reply(CampaignReply::Progress { id: 1, reply: Ok(progress()) }));
    let text = screen(&s);
    assert!(text.contains("7/31") && text.contains("8/1"), "{text}");
    insta::assert_snapshot!("campaign_burn_down", draw(&s).backend());
    // Pause asks the server; close asks once more first.
    let fx = update(&mut s, Action::Command(Command::CampaignPause));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::SetState { id: 1, action: "pause" })]));
    assert!(update(&mut s, Action::Command(Command::CampaignClose)).is_empty());
    let fx = update(&mut s, Action::Command(Command::CampaignClose));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::SetState { id: 1, action: "close" })]));
}

#[test]
fn r25_a_supervisor_creates_a_campaign_from_the_form() {
    let mut s = base(Role::Supervisor);
    update(&mut s, Action::Command(Command::Campaign));
    update(&mut s, reply(CampaignReply::Listed(Ok(vec![]))));
    update(&mut s, Action::Command(Command::CampaignCreate));
    update(&mut s, Action::Command(Command::Next));
    for c in "東京都、神奈川県".chars() {
        update(&mut s, Action::Insert(c));
    }
    insta::assert_snapshot!("campaign_create_form", draw(&s).backend());
    let fx = update(&mut s, Action::Command(Command::Confirm));
    match fx.as_slice() {
        [Effect::Campaign(CampaignEffect::Create(body))] => {
            assert_eq!(body.name, "機種未定 7/15");
            assert_eq!(body.filter.prefectures, vec!["東京都".to_string(), "神奈川県".to_string()]);
        }
        other => panic!("expected a create, got {other:?}"),
    }
}
