//! The floor in the console on ratatui's TestBackend at 80×24 (issue 21), driven through
//! `update()` only: the supervisors' floor tab (hands on top, long calls standing out, scrolling
//! beyond one screen), the operator's status bar (state, hand seen, watched), the state picker and
//! the hand's note, and the watch screen (the watched console at this size, or too small).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use madoguchi::api::{
    Floor, FloorAgent, FloorCall, FloorTotals, Me, MyFloor, Role, ServerEvent, WatchStarted,
};
use madoguchi::domain::floor::{AgentState, AgentStatus, FloorPolicy, HandRaise};
use madoguchi::tui::{Action, Command, Keymap, State, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 15, 1, 30, 0).unwrap()
}

fn base(name: &str, role: Role) -> State {
    let keymap = Keymap::default_map();
    let mut s = State::new("ssh", false, true, "test", now());
    s.help = keymap.help_lines();
    s.hints = keymap.hints();
    s.connected = true;
    update(
        &mut s,
        Action::MeLoaded(Ok(Me {
            name: name.into(),
            role,
            business_date: NaiveDate::from_ymd_opt(2021, 7, 15).unwrap(),
            date_fixed: true,
            selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).unwrap(),
            wrap_up_reasons: madoguchi::domain::Policy::builtin().wrap_up_reason,
            server_now: None,
        })),
    );
    update(&mut s, Action::MyFloorLoaded(Ok(mine(Some(status(AgentState::Available, 5))))));
    s
}

fn status(state: AgentState, minutes_ago: i64) -> AgentStatus {
    AgentStatus {
        state,
        reason: (state == AgentState::Away).then(|| "break".to_string()),
        since: now() - Duration::minutes(minutes_ago),
        call_id: None,
        signed_in_at: now() - Duration::hours(2),
    }
}

fn mine(status: Option<AgentStatus>) -> MyFloor {
    MyFloor {
        status,
        hand: None,
        watched_by: None,
        away_reasons: FloorPolicy::default().away_reason,
        after_call_max_seconds: 300,
    }
}

fn agent(op: &str, state: AgentState, minutes_ago: i64, call: Option<(&str, i64)>) -> FloorAgent {
    let mut st = status(state, minutes_ago);
    let call = call.map(|(name, started_ago)| {
        st.call_id = Some(7);
        FloorCall {
            id: 7,
            started_at: now() - Duration::minutes(started_ago),
            code: Some("1331234567".into()),
            name: Some(name.into()),
            campaign: None,
        }
    });
    FloorAgent {
        operator: op.into(),
        status: st,
        call,
        attention: None,
        console_here: true,
        watched_by: None,
    }
}

fn hand(id: i64, op: &str, note: &str) -> HandRaise {
    HandRaise {
        id,
        operator: op.into(),
        note: note.into(),
        raised_at: now() - Duration::minutes(2),
        acknowledged_by: None,
        acknowledged_at: None,
    }
}

fn floor(extra: usize) -> Floor {
    let mut agents = vec![
        agent("sato", AgentState::OnCall, 18, Some(("医療法人社団 矢嶋歯科医院", 18))),
        agent("suzuki", AgentState::OnCall, 3, Some(("日本海総合病院", 3))),
        agent("tanaka", AgentState::AfterCall, 4, Some(("あかいクリニック", 9))),
        agent("ito", AgentState::AfterCall, 1, Some(("さなえ薬局", 5))),
        agent("yamada", AgentState::Available, 12, None),
        agent("kato", AgentState::Away, 7, None),
    ];
    agents[5].console_here = false;
    agents[1].watched_by = Some("kudo".into());
    for i in 0..extra {
        agents.push(agent(&format!("op{i:02}"), AgentState::Available, i as i64, None));
    }
    Floor {
        now: now(),
        totals: FloorTotals::of(&agents),
        longest_call_seconds: Some(18 * 60),
        hands: vec![hand(3, "ito", "補助金の件で確認したい"), hand(4, "yamada", "")],
        agents,
        long_call_minutes: 15,
        after_call_limit_seconds: 120,
        away_reasons: FloorPolicy::default().away_reason,
    }
}

fn draw(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(state, f)).unwrap();
    t
}

/// The screen as text, a wide character once (not followed by its second cell).
fn text(t: &Terminal<TestBackend>) -> String {
    use unicode_width::UnicodeWidthStr;
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            x += sym.width().max(1) as u16;
        }
        out.push('\n');
    }
    out
}

fn supervisor_on_the_floor(extra: usize) -> State {
    let mut s = base("kudo", Role::Supervisor);
    update(&mut s, Action::Command(Command::Dashboard));
    for _ in 0..3 {
        update(&mut s, Action::Command(Command::Next));
    }
    update(&mut s, Action::FloorLoaded(Ok(floor(extra))));
    s
}

#[test]
fn r21_the_floor_view_at_80x24() {
    let s = supervisor_on_the_floor(0);
    let t = draw(&s, 80, 24);
    insta::assert_snapshot!("floor_view", t.backend());
    let screen = text(&t);
    assert!(screen.contains("通話中 2") && screen.contains("最長通話 18:00"), "{screen}");
    assert!(screen.contains("挙手 ito") && screen.contains("補助金の件で確認したい"), "{screen}");
    assert!(screen.contains("!長時間") && screen.contains("!後処理超過"), "{screen}");
    assert!(screen.contains("[画面は他]") && screen.contains("[モニター:kudo]"), "{screen}");
}

#[test]
fn r21_the_floor_scrolls_and_follows_events() {
    let mut s = supervisor_on_the_floor(20);
    for _ in 0..27 {
        update(&mut s, Action::Command(Command::Down));
    }
    let t = draw(&s, 80, 24);
    insta::assert_snapshot!("floor_view_scrolled", t.backend());
    assert!(text(&t).contains("op19"));
    // A hand acknowledged leaves the top; a state change is patched in place.
    let mut acked = hand(3, "ito", "補助金の件で確認したい");
    acked.acknowledged_by = Some("kudo".into());
    acked.acknowledged_at = Some(now());
    update(&mut s, Action::ServerEvent(ServerEvent::Hand { hand: acked, open: false }));
    let on = agent("yamada", AgentState::OnCall, 0, Some(("さなえ薬局", 0)));
    update(
        &mut s,
        Action::ServerEvent(ServerEvent::AgentState { operator: "yamada".into(), agent: Some(on) }),
    );
    let f = s.floor.view.get().unwrap();
    assert_eq!(f.hands.len(), 1);
    assert_eq!(f.totals.on_call, 3);
}

#[test]
fn r21_the_operators_status_bar_the_picker_and_the_note() {
    let mut s = base("ito", Role::Operator);
    let mut m = mine(Some(status(AgentState::AfterCall, 1)));
    m.watched_by = Some("kudo".into());
    let mut h = hand(3, "ito", "補助金の件で確認したい");
    h.acknowledged_by = Some("kudo".into());
    h.acknowledged_at = Some(now() - Duration::minutes(1));
    m.hand = Some(h);
    update(&mut s, Action::MyFloorLoaded(Ok(m)));
    let t = draw(&s, 80, 24);
    let screen = text(&t);
    assert!(screen.contains("モニター中（kudo）"), "{screen}");
    assert!(screen.contains("後処理 01:00/05:00"), "{screen}");
    assert!(screen.contains("挙手→確認済(kudo)"), "{screen}");
    insta::assert_snapshot!("floor_status_bar", t.backend());

    update(&mut s, Action::Command(Command::Away));
    insta::assert_snapshot!("floor_state_picker", draw(&s, 80, 24).backend());
    update(&mut s, Action::Command(Command::Back));
    update(&mut s, Action::Command(Command::RaiseHand));
    for c in "補助金の件".chars() {
        update(&mut s, Action::Insert(c));
    }
    insta::assert_snapshot!("floor_hand_note", draw(&s, 80, 24).backend());
}

#[test]
fn r21_the_watch_screen_draws_the_watched_console_at_this_size() {
    let mut s = supervisor_on_the_floor(0);
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Confirm));
    update(
        &mut s,
        Action::WatchStarted(Ok(WatchStarted {
            id: 1,
            operator: "sato".into(),
            supervisor: "kudo".into(),
            from: now(),
        })),
    );
    let t = draw(&s, 80, 24);
    assert!(text(&t).contains("sato さんの画面を待っています"), "{}", text(&t));
    // The watched console: an operator typing a lookup.
    let mut watched = base("sato", Role::Operator);
    for c in "yajima".chars() {
        update(&mut watched, Action::Insert(c));
    }
    update(&mut s, Action::WatchFrame(Arc::new(watched)));
    let t = draw(&s, 80, 24);
    insta::assert_snapshot!("floor_watch", t.backend());
    let screen = text(&t);
    assert!(screen.contains("yajima") && screen.contains("モニター中: sato"), "{screen}");
    let wide = draw(&s, 120, 30);
    assert!(text(&wide).contains("yajima"));
    let small = draw(&s, 60, 20);
    assert!(text(&small).contains("小さすぎて"), "{}", text(&small));
}
