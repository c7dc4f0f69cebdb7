//! The floor through a real server on 127.0.0.1:0 (issue 21): states follow a call (start →
//! 通話中, close → 後処理, the key → 受付可), 離席 with a policy reason, the supervisors' floor
//! view with the call's institution, raised hands acknowledged, state changes on the event
//! stream (to supervisors and the operator concerned only), watches refused when the operator
//! is not signed in or their console is not drawn here, roles (403), and the day in numbers in
//! the call report.

mod seeded_server;

use std::time::Duration;

use madoguchi::api::{Role, ServerEvent, SetAgentState, UpdateCall};
use madoguchi::client::ClientError;
use madoguchi::domain::Policy;
use madoguchi::domain::floor::AgentState;
use seeded_server::{Spec, TestServer};

const USERS: &[(&str, Role)] =
    &[("ota", Role::Operator), ("ueda", Role::Operator), ("kudo", Role::Supervisor)];

fn spawn() -> TestServer {
    spawn_with(Policy::builtin())
}

fn spawn_with(policy: Policy) -> TestServer {
    seeded_server::spawn(Spec { institutions: 300, seed: 21, users: USERS, policy })
}

fn status(e: ClientError) -> u16 {
    match e {
        ClientError::Api { status, .. } => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Waits (generously) for an event matching `want` on `rx`.
async fn wait_for(
    rx: &mut tokio::sync::mpsc::Receiver<ServerEvent>,
    want: impl Fn(&ServerEvent) -> bool,
) -> ServerEvent {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let ev = rx.recv().await.expect("event stream open");
            if want(&ev) {
                return ev;
            }
        }
    })
    .await
    .expect("event within the deadline")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_states_follow_a_call_and_the_floor_shows_them() {
    let srv = spawn();
    let (ota, kudo) = (srv.client("ota"), srv.client("kudo"));
    let mut sv_events = kudo.events().await.expect("supervisor events");
    let mut ueda_events = srv.client("ueda").events().await.expect("ueda events");

    let mine = ota.set_agent_state(&SetAgentState::SignIn).await.expect("sign in");
    assert_eq!(mine.status.as_ref().map(|s| s.state), Some(AgentState::Available));
    wait_for(&mut sv_events, |e| matches!(e, ServerEvent::AgentState { operator, .. } if operator == "ota"))
        .await;

    // A call on an institution: 通話中, with the institution's name on the floor.
    let code = ota.lookup("歯科", 1).await.expect("lookup").results[0].code.clone();
    let call = ota.start_call(Some(&code)).await.expect("start call");
    let ev = wait_for(&mut sv_events, |e| {
        matches!(e, ServerEvent::AgentState { agent: Some(a), .. } if a.status.state == AgentState::OnCall)
    })
    .await;
    let ServerEvent::AgentState { agent: Some(a), .. } = ev else { unreachable!() };
    assert_eq!(a.call.as_ref().map(|c| c.id), Some(call.id));
    assert!(a.call.as_ref().and_then(|c| c.name.as_deref()).is_some_and(|n| n.contains("歯科")), "{a:?}");
    let floor = kudo.floor().await.expect("floor");
    assert_eq!(floor.totals.on_call, 1);
    assert_eq!(floor.agents[0].operator, "ota");
    assert!(floor.longest_call_seconds.is_some());
    assert!(!floor.agents[0].console_here, "no SSH session here");

    // 受付可 and 離席 are refused during the call, in the operator's words.
    let e = ota.set_agent_state(&SetAgentState::Available).await.expect_err("on a call");
    assert_eq!(status(e), 409);
    let e =
        ota.set_agent_state(&SetAgentState::Away { reason: "break".into() }).await.expect_err("on a call");
    assert_eq!(status(e), 409);

    // Closing the call: 後処理; the key ends it early.
    let close = UpdateCall { reasons: Some(vec!["status".into()]), close: true, ..UpdateCall::default() };
    ota.update_call(call.id, &close).await.expect("close");
    let mine = ota.my_floor().await.expect("mine");
    assert_eq!(mine.status.as_ref().map(|s| s.state), Some(AgentState::AfterCall));
    let mine = ota.set_agent_state(&SetAgentState::Available).await.expect("available");
    assert_eq!(mine.status.as_ref().map(|s| s.state), Some(AgentState::Available));

    // 離席 needs a reason from the policy.
    let e = ota.set_agent_state(&SetAgentState::Away { reason: "nap".into() }).await.expect_err("reason");
    assert_eq!(status(e), 409);
    let mine = ota.set_agent_state(&SetAgentState::Away { reason: "training".into() }).await.expect("away");
    assert_eq!(mine.status.as_ref().and_then(|s| s.reason.as_deref()), Some("training"));
    let floor = kudo.floor().await.expect("floor");
    assert_eq!((floor.totals.away, floor.totals.on_call), (1, 0));

    // Another operator hears nothing of ota's states.
    ota.set_agent_state(&SetAgentState::Available).await.expect("available");
    srv.client("ueda").set_agent_state(&SetAgentState::SignIn).await.expect("ueda in");
    let own = wait_for(&mut ueda_events, |e| matches!(e, ServerEvent::AgentState { .. })).await;
    assert!(matches!(own, ServerEvent::AgentState { ref operator, .. } if operator == "ueda"), "{own:?}");

    // The day in numbers is in the call report.
    let report = kudo.call_report(None, None).await.expect("report");
    let day = report.agent_days.iter().find(|d| d.operator == "ota").expect("ota's day");
    assert!(day.signed_in_seconds >= day.on_call_seconds);

    // Signing out leaves the floor.
    ota.set_agent_state(&SetAgentState::SignOut).await.expect("sign out");
    assert!(kudo.floor().await.expect("floor").agents.iter().all(|a| a.operator != "ota"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_a_raised_hand_is_acknowledged_and_roles_are_checked() {
    let srv = spawn();
    let (ueda, kudo) = (srv.client("ueda"), srv.client("kudo"));
    ueda.set_agent_state(&SetAgentState::SignIn).await.expect("sign in");
    let e = ueda.raise_hand(&"あ".repeat(101)).await.expect_err("note too long");
    assert_eq!(status(e), 422);
    let hand = ueda.raise_hand("補助金の件で確認したい").await.expect("raise");
    let floor = kudo.floor().await.expect("floor");
    assert_eq!(floor.hands.iter().map(|h| h.id).collect::<Vec<_>>(), vec![hand.id]);
    assert_eq!(floor.hands[0].note, "補助金の件で確認したい");

    // Operators may not see the floor, acknowledge, or watch (403).
    assert_eq!(status(ueda.floor().await.expect_err("operator")), 403);
    assert_eq!(status(ueda.acknowledge_hand(hand.id).await.expect_err("operator")), 403);
    assert_eq!(status(ueda.start_watch("kudo").await.expect_err("operator")), 403);
    assert_eq!(status(ueda.end_watch(1).await.expect_err("operator")), 403);

    let acked = kudo.acknowledge_hand(hand.id).await.expect("ack");
    assert_eq!(acked.acknowledged_by.as_deref(), Some("kudo"));
    assert!(kudo.floor().await.expect("floor").hands.is_empty());
    let mine = ueda.my_floor().await.expect("mine");
    assert_eq!(mine.hand.and_then(|h| h.acknowledged_by).as_deref(), Some("kudo"));
    assert_eq!(status(kudo.acknowledge_hand(999_999).await.expect_err("unknown")), 404);

    // Watching: not signed in → 404; signed in but no console drawn here → 409, said so.
    let e = kudo.start_watch("ota").await.expect_err("not signed in");
    assert_eq!(status(e), 404);
    let e = kudo.start_watch("ueda").await.expect_err("no console here");
    assert!(e.to_string().contains("描いていません"), "{e}");
    assert_eq!(status(e), 409);
    assert_eq!(status(kudo.end_watch(12345).await.expect_err("no such watch")), 404);
    assert_eq!(status(kudo.start_watch("kudo").await.expect_err("oneself")), 409);

    // A hand lowered by its operator leaves the floor.
    ueda.raise_hand("").await.expect("raise again");
    let mine = ueda.lower_hand().await.expect("lower");
    assert!(mine.hand.is_none_or(|h| h.acknowledged_at.is_some()));
    assert!(kudo.floor().await.expect("floor").hands.is_empty());
    ueda.lower_hand().await.expect("lowering again does nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_after_call_work_ends_by_itself_after_the_policy_time() {
    let mut policy = Policy::builtin();
    policy.floor.after_call_max_seconds = 1;
    policy.floor.after_call_limit_seconds = 1;
    let srv = spawn_with(policy);
    let (ota, kudo) = (srv.client("ota"), srv.client("kudo"));
    let mut sv_events = kudo.events().await.expect("supervisor events");
    let call = ota.start_call(None).await.expect("start");
    let close = UpdateCall { reasons: Some(vec!["other".into()]), close: true, ..UpdateCall::default() };
    ota.update_call(call.id, &close).await.expect("close");
    wait_for(&mut sv_events, |e| {
        matches!(e, ServerEvent::AgentState { agent: Some(a), .. } if a.status.state == AgentState::AfterCall)
    })
    .await;
    // The server's sweep (every second) moves ota on; the supervisors hear it.
    wait_for(&mut sv_events, |e| {
        matches!(e, ServerEvent::AgentState { agent: Some(a), .. } if a.status.state == AgentState::Available)
    })
    .await;
    let mine = ota.my_floor().await.expect("mine");
    assert_eq!(mine.status.map(|s| s.state), Some(AgentState::Available));
}
