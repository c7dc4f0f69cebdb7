//! A real server on 127.0.0.1:0 over a fresh SQLite file seeded with demo data, on a thread of
//! its own, with one token per test user — the harness the API tests share (`api_calls`,
//! `api_faq`, `api_floor`, `api_place_words`), so that each says only what its server holds.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use madoguchi::api::Role;
use madoguchi::client::Client;
use madoguchi::domain::Policy;
use madoguchi::server::auth::hash_token;
use madoguchi::server::{AppState, Clock, SeedOptions};

/// One running server: its URL and a token per user.
pub struct TestServer {
    pub base: String,
    pub tokens: HashMap<&'static str, String>,
}

impl TestServer {
    /// A client acting as `user` (one of the server's users).
    pub fn client(&self, user: &str) -> Client {
        Client::new(&self.base, Some(self.tokens[user].clone())).expect("client")
    }
}

/// What the server holds: how many demo institutions (and the generator's seed), its users
/// (name, role) and its policy. The business date is the demo's, 2021-07-15.
pub struct Spec {
    pub institutions: usize,
    pub seed: u64,
    pub users: &'static [(&'static str, Role)],
    pub policy: Policy,
}

/// Starts the server `spec` describes and waits until it listens.
pub fn spawn(spec: Spec) -> TestServer {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        rt.block_on(async move {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = dir.path().join("test.db").to_string_lossy().into_owned();
            let store = madoguchi::server::open_store(&db).await.expect("open store");
            madoguchi::server::seed_store(
                store.as_ref(),
                &SeedOptions { institutions: Some(spec.institutions), seed: spec.seed },
                &|_| {},
            )
            .await
            .expect("seed");
            let mut tokens = HashMap::new();
            for (i, (name, role)) in spec.users.iter().enumerate() {
                // By position, not name: a header carries ASCII only, a name may be 窓口.
                let token = format!("test-token-{i}");
                store
                    .add_operator(name, *role, &hash_token(&token), "test", chrono::Utc::now())
                    .await
                    .expect("add operator");
                tokens.insert(*name, token);
            }
            let as_of = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
            let state =
                AppState::load(store, spec.policy, Clock::Fixed(as_of), HashMap::new()).await.expect("state");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("addr"));
            tx.send(TestServer { base, tokens }).expect("send");
            madoguchi::server::run(listener, state, std::future::pending()).await.expect("serve");
            drop(dir);
        });
    });
    // Seeding and the first index build take seconds on a busy machine: a generous wait.
    rx.recv_timeout(Duration::from_secs(300)).expect("test server started")
}
