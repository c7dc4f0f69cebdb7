//! Tests of the demo generator on a small data set (3,000 institutions).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::*;
use crate::domain::{ReaderStatus, subsidy::payable_yen};

const N: usize = 3_000;

fn small() -> &'static SeedData {
    static DATA: OnceLock<SeedData> = OnceLock::new();
    DATA.get_or_init(|| generate(Some(N), 42, &|_| {}))
}

#[test]
fn deterministic_for_a_seed_and_different_for_another() {
    let again = generate(Some(N), 42, &|_| {});
    let a = small();
    assert_eq!(a.institutions, again.institutions);
    assert_eq!(a.applications, again.applications);
    assert_eq!(a.subsidy_claims, again.subsidy_claims);
    let other = generate(Some(N), 43, &|_| {});
    assert_ne!(a.institutions[10..], other.institutions[10..]);
}

#[test]
fn sizes_and_kind_proportions() {
    let d = small();
    assert_eq!(d.institutions.len(), N);
    let count = |k| d.institutions.iter().filter(|i| i.kind == k).count();
    // 8,205 : 104,292 : 67,899 : 61,791 of 242,187.
    assert!((100..=103).contains(&count(InstitutionKind::Hospital)), "{}", count(InstitutionKind::Hospital));
    assert!((1_290..=1_294).contains(&count(InstitutionKind::MedicalClinic)));
    assert!((840..=843).contains(&count(InstitutionKind::DentalClinic)));
    assert!((764..=768).contains(&count(InstitutionKind::Pharmacy)));
    assert_eq!(generate(Some(2), 1, &|_| {}).institutions.len(), 4, "never fewer than the seed four");
    assert_eq!(kind_counts(None).iter().map(|(_, n)| n).sum::<usize>(), 242_187);
}

#[test]
fn codes_are_valid_unique_and_follow_the_kind() {
    let d = small();
    let mut seen = HashSet::new();
    for i in &d.institutions {
        let check = InstitutionCode::parse(i.code.as_str()).unwrap();
        assert_eq!(check.expected_check_digit, None, "{} {}", i.code, i.name);
        assert!(seen.insert(i.code.clone()), "duplicate {}", i.code);
        let table = &i.code.as_str()[2..3];
        let expected = match i.kind {
            InstitutionKind::Hospital | InstitutionKind::MedicalClinic => "1",
            InstitutionKind::DentalClinic => "3",
            InstitutionKind::Pharmacy => "4",
        };
        assert_eq!(table, expected, "{}", i.code);
        let pref: u8 = i.code.as_str()[..2].parse().unwrap();
        let t = tables();
        let p = t.prefectures.iter().find(|p| p.name == i.prefecture).unwrap();
        assert!(pref == p.code || pref == p.code + 50, "{} in {}", i.code, i.prefecture);
    }
}

#[test]
fn the_four_seed_institutions_are_there_with_fixed_codes() {
    let d = small();
    let full_seed_other = generate(Some(10), 7, &|_| {});
    for (s, (i, j)) in SEED_INSTITUTIONS.iter().zip(d.institutions.iter().zip(&full_seed_other.institutions))
    {
        assert_eq!(
            (i.name.as_str(), i.kind, i.prefecture.as_str(), i.city.as_str()),
            (s.name, s.kind, s.prefecture, s.city)
        );
        assert_eq!(i.name_kana.as_deref(), Some(s.kana));
        assert_eq!(i, j, "same record whatever the seed and size");
    }
    let yajima = &d.institutions[2];
    assert_eq!(yajima.name_kana.as_deref(), Some("ヤジマシカイイン"));
    assert!(yajima.address.starts_with("杉並区"), "{}", yajima.address);
    let state = |code: &InstitutionCode| {
        d.applications.iter().find(|(c, _)| c == code.as_str()).map(|(_, a)| a.status)
    };
    assert_eq!(state(&d.institutions[0].code), Some(ReaderStatus::Shipped));
    assert_eq!(state(&d.institutions[1].code), Some(ReaderStatus::Selected));
    assert_eq!(state(&d.institutions[2].code), Some(ReaderStatus::Undecided));
}

#[test]
fn records_are_complete_and_readings_katakana() {
    let d = small();
    let mut phones = HashSet::new();
    for i in &d.institutions {
        let kana = i.name_kana.as_deref().unwrap();
        assert!(kana.chars().all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー'), "{} {kana}", i.name);
        assert!(!i.kana_inferred);
        assert!(i.address.starts_with(i.city.rsplit('郡').next().unwrap()), "{} / {}", i.city, i.address);
        let p = i.postal_code.as_bytes();
        assert!(p.len() == 8 && p[3] == b'-', "{}", i.postal_code);
        assert!(phones.insert(i.phone.clone().unwrap()), "duplicate phone");
        assert!(!i.large_chain || i.kind == InstitutionKind::Pharmacy);
    }
    // Some names carry a legal-entity prefix, some pharmacies belong to a chain.
    assert!(d.institutions.iter().any(|i| i.name.starts_with("医療法人")));
    assert!(d.institutions.iter().any(|i| i.large_chain));
}

#[test]
fn application_states_in_june_2021_proportions() {
    let d = small();
    let kinds: std::collections::HashMap<&str, InstitutionKind> =
        d.institutions.iter().map(|i| (i.code.as_str(), i.kind)).collect();
    let share = |k: InstitutionKind| {
        let total = d.institutions.iter().filter(|i| i.kind == k).count() as f64;
        d.applications.iter().filter(|(c, _)| kinds[c.as_str()] == k).count() as f64 / total
    };
    let overall = d.applications.len() as f64 / N as f64;
    assert!((0.53..0.61).contains(&overall), "overall {overall}");
    assert!((0.68..0.88).contains(&share(InstitutionKind::Hospital)), "{}", share(InstitutionKind::Hospital));
    assert!((0.77..0.89).contains(&share(InstitutionKind::Pharmacy)));
    assert!((0.40..0.50).contains(&share(InstitutionKind::MedicalClinic)));
    assert!((0.40..0.50).contains(&share(InstitutionKind::DentalClinic)));
    let p = crate::domain::Policy::builtin();
    let mut undecided = 0;
    for (code, a) in &d.applications {
        assert!(a.units >= 1 && a.units <= p.free_units(kinds[code.as_str()]));
        assert_eq!(a.version, 1);
        match a.status {
            ReaderStatus::Undecided => {
                undecided += 1;
                assert!(a.model_id.is_none());
                assert!(p.undecided_window_open(a.applied_on.unwrap()));
            }
            ReaderStatus::Selected | ReaderStatus::Shipped => assert!(a.model_id.is_some()),
            _ => {}
        }
    }
    assert!(undecided > 30, "{undecided}");
    assert!(d.applications.iter().any(|(_, a)| a.status == ReaderStatus::Shipped));
    assert!(d.applications.iter().any(|(_, a)| a.status == ReaderStatus::Cancelled));
}

#[test]
fn claims_follow_the_calculator_and_their_status() {
    let d = small();
    let p = crate::domain::Policy::builtin();
    assert!(d.subsidy_claims.len() > 100);
    for (code, c) in &d.subsidy_claims {
        let inst = d.institutions.iter().find(|i| i.code.as_str() == code).unwrap();
        let app = d.applications.iter().find(|(x, _)| x == code).unwrap().1.clone();
        assert_eq!(app.status, ReaderStatus::Shipped);
        assert_eq!(c.units, app.units);
        assert_eq!(
            c.payable_yen,
            payable_yen(&p, inst.kind, inst.large_chain, c.units, c.project_cost_yen).unwrap()
        );
        assert_eq!(c.paid_on.is_some(), c.status == crate::domain::SubsidyStatus::Paid);
        if let Some(decided) = c.decided_on {
            assert!(decided >= c.submitted_on);
        }
        if let (Some(paid), Some(decided)) = (c.paid_on, c.decided_on) {
            assert!(paid >= decided);
        }
    }
}

#[test]
fn catalog_names_only_the_two_confirmed_products() {
    let models = reader_models();
    assert_eq!(models.len(), 4);
    let real: Vec<_> =
        models.iter().filter(|m| !m.sample).map(|m| (m.maker.as_str(), m.name.as_str())).collect();
    assert_eq!(real, [("PFU", "Caora（カオラ）"), ("アルメックス", "Sma-pa マイナタッチ")]);
    for m in models.iter().filter(|m| m.sample) {
        assert!(m.name.contains("架空") && m.maker.contains("架空"), "{m:?}");
    }
    let d = small();
    for (_, a) in &d.applications {
        if let Some(id) = &a.model_id {
            assert!(models.iter().any(|m| &m.id == id));
        }
    }
}

#[test]
fn apportion_adds_up() {
    assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
    assert_eq!(apportion(0, &[5, 5]), vec![0, 0]);
    assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
    assert_eq!(apportion(8_205, &[538, 93, 92]).iter().sum::<usize>(), 8_205);
}

/// `cargo test --release --lib demo::tests::full_scale -- --ignored --nocapture`: times the
/// full national scale and prints a sample (a measurement, not a check).
#[test]
#[ignore]
fn full_scale() {
    let start = std::time::Instant::now();
    let cpu = crate::demo::tests::thread_cpu_ns();
    let d = generate(None, DEFAULT_SEED, &|line| eprintln!("{line} ({:.2?})", start.elapsed()));
    let took = start.elapsed();
    let cpu_ms = (thread_cpu_ns() - cpu) / 1_000_000;
    eprintln!("full scale: {} institutions in {took:.2?} wall, {cpu_ms} ms on the CPU", d.institutions.len());
    for i in d.institutions.iter().step_by(8_000) {
        eprintln!(
            "{} {} {} {} {} {} {:?}",
            i.code,
            i.name,
            i.name_kana.as_deref().unwrap_or(""),
            i.prefecture,
            i.address,
            i.postal_code,
            i.phone
        );
    }
    assert_eq!(d.institutions.len(), 242_187);
}

/// CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`; 0 elsewhere):
/// wall time means little on a machine shared by several builds.
pub(crate) fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}
