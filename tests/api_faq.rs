//! The FAQ at a portal's size and during a call, through a real server on 127.0.0.1:0
//! (issue 24): a whole file imported in one step (all or nothing, one audit event per entry,
//! one change event for the other servers), and the suggestions from an institution's state
//! and a call's note.

mod seeded_server;

use std::sync::OnceLock;
use std::time::Duration;

use madoguchi::api::{FaqEntry, Role, ServerEvent};
use madoguchi::client::{Client, ClientError};
use madoguchi::domain::{Policy, ReaderStatus};
use seeded_server::{Spec, TestServer};

/// Users of the test server: (name, role).
const USERS: &[(&str, Role)] = &[
    ("sato", Role::Operator),
    ("takahashi", Role::Supervisor),
    ("phone", Role::Telephony),
    ("chatbot", Role::Service),
];

/// The server most tests share (they use their own entry ids).
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(spawn)
}

/// A server over a fresh SQLite file with 400 demo institutions and the built-in FAQ, on its
/// own thread.
fn spawn() -> TestServer {
    seeded_server::spawn(Spec { institutions: 400, seed: 24, users: USERS, policy: Policy::builtin() })
}

fn client(user: &str) -> Client {
    server().client(user)
}

/// `n` entries with ids `{prefix}-{i}`, each answering about a made-up word of the prefix.
fn entries(prefix: &str, n: usize) -> Vec<FaqEntry> {
    (0..n)
        .map(|i| FaqEntry {
            id: format!("{prefix}-{i}"),
            question: format!("{prefix}の手続き{i}番はどうしますか"),
            answer: format!("{prefix}の手続き{i}番は窓口で受け付けます。"),
            category: "取込テスト".into(),
            keywords: vec![prefix.to_string()],
        })
        .collect()
}

/// The audit trail's FAQ edits of entries whose id starts with `prefix`.
async fn audited(prefix: &str) -> usize {
    let events = client("takahashi").audit(None).await.expect("audit");
    events
        .iter()
        .filter(|e| e.action == "faq.edit")
        .filter(|e| e.detail["id"].as_str().is_some_and(|id| id.starts_with(prefix)))
        .count()
}

fn status(e: &ClientError) -> u16 {
    match e {
        ClientError::Api { status, .. } => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_import_writes_every_entry_in_one_step_with_an_audit_event_each() {
    let batch = entries("ひまわり制度", 40);
    let done = client("takahashi").import_faq(&batch).await.expect("import");
    assert_eq!((done.inserted, done.updated), (40, 0));
    let found = client("chatbot").faq("ひまわり制度の手続き7番", 5).await.expect("search");
    assert_eq!(found.results.first().map(|h| h.entry.id.as_str()), Some("ひまわり制度-7"));
    assert_eq!(audited("ひまわり制度").await, 40, "one audit event per entry");

    // The same file again changes nothing and writes no audit event; one changed entry, one.
    let again = client("takahashi").import_faq(&batch).await.expect("import again");
    assert_eq!((again.inserted, again.updated), (0, 40));
    assert_eq!(audited("ひまわり制度").await, 40);
    let mut changed = batch.clone();
    changed[3].answer = "ひまわり制度の手続き3番は郵送でも受け付けます。".into();
    client("takahashi").import_faq(&changed).await.expect("import a correction");
    assert_eq!(audited("ひまわり制度").await, 41);
    let found = client("sato").faq("ひまわり制度 郵送", 3).await.expect("search");
    assert_eq!(
        found.results.first().map(|h| h.entry.id.as_str()),
        Some("ひまわり制度-3"),
        "searchable at once"
    );
}

#[tokio::test]
async fn an_import_with_a_bad_entry_writes_nothing_and_names_each_bad_one() {
    let mut batch = entries("あさがお制度", 12);
    batch[4].answer = "  ".into();
    batch[9].id = "あさがお制度-2".into();
    let err = client("takahashi").import_faq(&batch).await.expect_err("refused");
    assert_eq!(status(&err), 422);
    let message = err.to_string();
    assert!(message.contains("5 件目（id `あさがお制度-4`）"), "{message}");
    assert!(message.contains("10 件目（id `あさがお制度-2`）"), "{message}");
    assert!(message.contains("何も登録していません"), "{message}");
    let found = client("sato").faq("あさがお制度", 5).await.expect("search");
    assert!(found.results.iter().all(|h| !h.entry.id.starts_with("あさがお制度")), "nothing was written");
    assert_eq!(audited("あさがお制度").await, 0);
    let empty = client("takahashi").import_faq(&[]).await.expect_err("an empty import");
    assert_eq!(status(&empty), 422);
}

#[tokio::test]
async fn only_supervisors_import() {
    let batch = entries("すみれ制度", 2);
    for user in ["sato", "chatbot", "phone"] {
        let err = client(user).import_faq(&batch).await.expect_err("refused");
        assert_eq!(status(&err), 403, "{user}");
    }
    assert_eq!(audited("すみれ制度").await, 0);
}

#[tokio::test]
async fn an_import_is_one_change_event_however_many_entries() {
    // A server of its own: no other test's import may add an event.
    let own = tokio::task::spawn_blocking(spawn).await.expect("server");
    let mut rx = own.client("sato").events().await.expect("subscribe");
    own.client("takahashi").import_faq(&entries("たんぽぽ制度", 60)).await.expect("import");
    let first = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Some(ServerEvent::FaqChanged) => return,
                Some(_) => continue,
                None => panic!("the event stream closed"),
            }
        }
    })
    .await;
    assert!(first.is_ok(), "FaqChanged within 20 s");
    // Several polls of the change feed later, no second FaqChanged for the same import.
    let more = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match rx.recv().await {
                Some(ServerEvent::FaqChanged) => return true,
                Some(_) => continue,
                None => return false,
            }
        }
    })
    .await;
    assert!(!matches!(more, Ok(true)), "a second FaqChanged for one import");
}

/// A seeded institution whose application is in `status`.
async fn institution_in(status: ReaderStatus) -> String {
    for q in ["クリニック", "病院", "薬局", "歯科"] {
        let found = client("sato").lookup(q, 100).await.expect("lookup");
        for r in found.results {
            let d = client("sato").institution(&r.code).await.expect("detail");
            if d.reader_application.application.status == status {
                return r.code;
            }
        }
    }
    panic!("no seeded institution is {status:?}");
}

#[tokio::test]
async fn suggestions_come_from_the_state_and_the_note() {
    let code = institution_in(ReaderStatus::Undecided).await;
    let guess = client("sato").faq_suggest(Some(&code), "").await.expect("suggest");
    assert!(guess.results.len() <= 3 && !guess.results.is_empty(), "{guess:?}");
    assert!(
        guess.results.iter().any(|h| h.entry.id.starts_with("reader-undecided")),
        "a 機種未定 institution near the deadline: {:?}",
        guess.results.iter().map(|h| &h.entry.id).collect::<Vec<_>>()
    );
    assert!(!guess.confident, "a guess from the state alone is weak");

    let asked = client("sato").faq_suggest(Some(&code), "ポータル ログインできない").await.expect("suggest");
    assert_eq!(asked.results.first().map(|h| h.entry.id.as_str()), Some("portal-login-trouble"));
    let chatbot =
        client("chatbot").faq_suggest(None, "補助金 いつ 支払われる").await.expect("the chatbot too");
    assert_eq!(chatbot.results.first().map(|h| h.entry.id.as_str()), Some("subsidy-when-paid"));

    let bad = client("sato").faq_suggest(Some("12-34"), "").await.expect_err("a malformed code");
    assert_eq!(status(&bad), 400);
    let phone = client("phone").faq_suggest(Some(&code), "").await.expect_err("telephony");
    assert_eq!(status(&phone), 403);
    let nothing = client("sato").faq_suggest(None, "").await.expect("no context");
    assert!(nothing.results.is_empty());
}
