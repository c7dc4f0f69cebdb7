//! The caller's town typed as heard, through a real server on 127.0.0.1:0 over a SQLite
//! database seeded with demo data: the seed's institutions as callers say them are found first,
//! whichever script the town is typed in.

mod seeded_server;

use std::sync::OnceLock;

use madoguchi::api::Role;
use madoguchi::client::Client;
use madoguchi::domain::Policy;
use seeded_server::{Spec, TestServer};

/// The one user: an operator named as a real desk might be.
const USERS: &[(&str, Role)] = &[("テスト窓口", Role::Operator)];

/// The running server (20,000 demo institutions of the default seed).
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        seeded_server::spawn(Spec {
            institutions: 20_000,
            seed: madoguchi::demo::DEFAULT_SEED,
            users: USERS,
            policy: Policy::builtin(),
        })
    })
}

fn client() -> Client {
    server().client("テスト窓口")
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
