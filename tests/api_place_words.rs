//! The caller's town typed as heard, through a real server on 127.0.0.1:0 over a SQLite
//! database seeded with demo data: the seed's institutions as callers say them are found first,
//! whichever script the town is typed in.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::NaiveDate;
use madoguchi::api::Role;
use madoguchi::client::Client;
use madoguchi::domain::Policy;
use madoguchi::server::auth::hash_token;
use madoguchi::server::{AppState, Clock, SeedOptions};

/// The running server's URL and an operator's token.
fn server() -> &'static (String, String) {
    static SERVER: OnceLock<(String, String)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let dir = tempfile::tempdir().expect("tempdir");
                let db = dir.path().join("places.db").to_string_lossy().into_owned();
                let store = madoguchi::server::open_store(&db).await.expect("open store");
                madoguchi::server::seed_store(
                    store.as_ref(),
                    &SeedOptions { institutions: Some(20_000), seed: madoguchi::demo::DEFAULT_SEED },
                    &|_| {},
                )
                .await
                .expect("seed");
                let token = "test-token-places".to_string();
                store
                    .add_operator(
                        "テスト窓口",
                        Role::Operator,
                        &hash_token(&token),
                        "test",
                        chrono::Utc::now(),
                    )
                    .await
                    .expect("add operator");
                let as_of = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
                let state = AppState::load(store, Policy::builtin(), Clock::Fixed(as_of), HashMap::new())
                    .await
                    .expect("state");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let base = format!("http://{}", listener.local_addr().expect("addr"));
                tx.send((base, token)).expect("send");
                madoguchi::server::run(listener, state, std::future::pending()).await.expect("serve");
                drop(dir);
            });
        });
        rx.recv_timeout(Duration::from_secs(300)).expect("test server started")
    })
}

fn client() -> Client {
    let (base, token) = server();
    Client::new(base, Some(token.clone())).expect("client")
}

/// The name and city of the first result of `q`.
async fn first(q: &str) -> (String, String) {
    let found = client().lookup(q, 5).await.expect("lookup");
    let top = found.results.first().unwrap_or_else(|| panic!("{q}: no result"));
    (top.name.clone(), top.city.clone())
}

#[tokio::test]
async fn the_seed_institutions_as_callers_say_them() {
    for (q, name, city) in [
        ("みたか あかい", "あかいクリニック", "三鷹市"),
        ("mitaka akai", "あかいクリニック", "三鷹市"),
        ("さかた にほんかい", "日本海総合病院", "酒田市"),
        ("sakata nihonkai", "日本海総合病院", "酒田市"),
        ("すぎなみ やじま", "矢嶋歯科医院", "杉並区"),
        ("adachi sanae", "さなえ薬局", "足立区"),
    ] {
        assert_eq!(first(q).await, (name.to_string(), city.to_string()), "{q}");
    }
}

#[tokio::test]
async fn the_town_in_every_script_and_shape() {
    for q in [
        "三鷹 あかい",
        "ミタカ アカイ",
        "ﾐﾀｶｼ ｱｶｲ",
        "mitaka-shi akai",
        "akai mitaka",
        "あかい みたかし",
        "みたかの あかい",
        "みたかのあかい",
        "mitakanoakai",
        "tōkyō mitaka akai",
    ] {
        assert_eq!(first(q).await, ("あかいクリニック".to_string(), "三鷹市".to_string()), "{q}");
    }
}
