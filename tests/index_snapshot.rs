//! The lookup index snapshot beside a SQLite database: written after a build (owner-only),
//! loaded at the next start when it was made from the same rows, caught up with the rows
//! changed since, and rebuilt — never used, never a panic — when it is truncated, garbage,
//! of an older format, keyed by other lookup rules or of another database. Changes made through another server on the
//! same file reach this one's index through the change feed, row by row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::domain::{Institution, InstitutionCode, InstitutionKind, Policy};
use madoguchi::server::usecase::institutions;
use madoguchi::server::{AppState, Clock, SeedOptions};
use madoguchi::store::Store;

async fn seeded(dir: &Path) -> String {
    let db = dir.join("snap.db").to_string_lossy().into_owned();
    let store = madoguchi::server::open_store(&db).await.expect("opens");
    madoguchi::server::seed_store(store.as_ref(), &SeedOptions { institutions: Some(300), seed: 5 }, &|_| {})
        .await
        .expect("seeds");
    db
}

async fn start(db: &str) -> AppState {
    let store: Arc<dyn Store> = madoguchi::server::open_store(db).await.expect("opens");
    let state = AppState::load(store, Policy::builtin(), Clock::Real, HashMap::new()).await.expect("state");
    state.wait_for_index().await.expect("index ready");
    state
}

fn snapshot_of(db: &str) -> PathBuf {
    PathBuf::from(format!("{db}.lookup-index"))
}

/// Waits (generously: the machine is busy) until `cond` holds.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn top_code(state: &AppState, q: &str) -> Option<String> {
    state.lookup.read().ok()?.search(q, 5).first().map(|r| r.code.clone())
}

fn from_snapshot(state: &AppState) -> bool {
    state.lookup.read().map(|l| l.loaded_from_snapshot()).unwrap_or(false)
}

fn new_clinic(code: &str, name: &str, kana: &str) -> Institution {
    Institution {
        code: InstitutionCode::from_digits(code).expect("code"),
        name: name.into(),
        name_kana: Some(kana.into()),
        kana_inferred: false,
        kind: InstitutionKind::MedicalClinic,
        prefecture: "東京都".into(),
        city: "三鷹市".into(),
        postal_code: "1810001".into(),
        address: "東京都三鷹市井の頭1-1".into(),
        phone: Some("0422-99-0001".into()),
        large_chain: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_is_written_loaded_and_caught_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded(dir.path()).await;
    let snap = snapshot_of(&db);
    let first = start(&db).await;
    assert!(!from_snapshot(&first), "no snapshot yet: built from the rows");
    let want = top_code(&first, "やじま").expect("矢嶋歯科医院 is in the demo data");
    eventually("the snapshot file", || snap.exists()).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&snap).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the snapshot is the owner's only");
    }
    drop(first);

    let second = start(&db).await;
    assert!(from_snapshot(&second), "an up-to-date snapshot is loaded, not rebuilt");
    assert_eq!(top_code(&second, "やじま"), Some(want.clone()));

    // A row imported while no server ran: the next start catches up with it.
    second
        .store
        .upsert_institutions(&[new_clinic("1319999995", "井の頭スナップ医院", "イノカシラスナップイイン")])
        .await
        .expect("imports");
    drop(second);
    let third = start(&db).await;
    assert!(from_snapshot(&third), "a few changed rows are caught up, not a rebuild");
    assert_eq!(top_code(&third, "いのかしらすなっぷ"), Some("1319999995".to_string()));
    assert_eq!(top_code(&third, "やじま"), Some(want));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_old_foreign_or_other_rules_snapshot_is_rebuilt_not_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded(dir.path()).await;
    let snap = snapshot_of(&db);
    let first = start(&db).await;
    let want = top_code(&first, "やじま").expect("found");
    eventually("the snapshot file", || snap.exists()).await;
    drop(first);
    let good = std::fs::read(&snap).expect("reads");

    let mut old_format = good.clone();
    old_format[8] = old_format[8].wrapping_add(1);
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x5A;
    // Keyed by another build's rules (the header's fingerprint, outside the checksummed payload).
    let mut other_rules = good.clone();
    let rules = madoguchi::search::rules::fingerprint().to_le_bytes();
    let at = other_rules[..200.min(other_rules.len())]
        .windows(8)
        .position(|w| w == rules)
        .expect("the header holds this build's rules fingerprint");
    other_rules[at] ^= 0x01;
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"this is not an index at all".repeat(100)),
        ("older format", old_format),
        ("other lookup rules", other_rules),
        ("one byte flipped", flipped),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&snap, &bytes).expect("writes");
        let state = start(&db).await;
        assert!(!from_snapshot(&state), "{what}: rebuilt");
        assert_eq!(top_code(&state, "やじま"), Some(want.clone()), "{what}");
    }

    // Another database's snapshot (same shape, another generation) is not used either.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = seeded(other_dir.path()).await;
    let other_state = start(&other).await;
    eventually("the other snapshot", || snapshot_of(&other).exists()).await;
    drop(other_state);
    std::fs::copy(snapshot_of(&other), &snap).expect("copies");
    let state = start(&db).await;
    assert!(!from_snapshot(&state), "a foreign snapshot is rebuilt");
    assert_eq!(top_code(&state, "やじま"), Some(want));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_import_reaches_this_index_through_the_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded(dir.path()).await;
    let here = start(&db).await;
    here.follow_store_changes().await.expect("follows");
    let there = start(&db).await;
    institutions::import(
        &there,
        &[new_clinic("1319999987", "井の頭フィードクリニック", "イノカシラフィードクリニック")],
    )
    .await
    .expect("imports");
    assert_eq!(top_code(&there, "いのかしらふぃーど"), Some("1319999987".to_string()));
    eventually("the import on the other server", || {
        top_code(&here, "いのかしらふぃーど") == Some("1319999987".to_string())
    })
    .await;
    assert!(here.lookup.read().map(|l| l.len()).unwrap_or(0) > 300);
}
