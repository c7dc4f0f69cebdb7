//! Reader applications and subsidy claims of the demo data, in the proportions of June 2021
//! (FACTS.md): about 57% applied (hospitals ~78%, pharmacies ~82%, clinics ~45%), some still
//! 機種未定 from the February–March window, about half of the applied readers shipped, and
//! subsidy claims for part of the shipped ones. Dates stay on or before 2021-06-30.

use chrono::{Days, NaiveDate};

use super::rng::SplitMix64;
use super::{MODEL_CAORA, MODEL_SAMPLE_C, MODEL_SAMPLE_D, MODEL_SMAPA, SEED_INSTITUTIONS};
use crate::domain::subsidy::payable_yen;
use crate::domain::{
    Institution, InstitutionKind, Policy, ReaderApplication, ReaderStatus, SubsidyClaim, SubsidyStatus,
};

/// Share of institutions that had applied by June 2021, per kind.
pub fn applied_share(kind: InstitutionKind) -> f64 {
    match kind {
        InstitutionKind::Hospital => 0.776,
        InstitutionKind::MedicalClinic => 0.447,
        InstitutionKind::DentalClinic => 0.45,
        InstitutionKind::Pharmacy => 0.816,
    }
}

/// Of the applications: still 機種未定, cancelled, shipped; the rest are 機種選定済.
const UNDECIDED_SHARE: f64 = 0.06;
const CANCELLED_SHARE: f64 = 0.01;
const SHIPPED_SHARE: f64 = 0.52;
/// Of the shipped: how many have filed a subsidy claim.
const CLAIM_SHARE: f64 = 0.45;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn day_between(rng: &mut SplitMix64, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.below(span + 1))
}

fn model(rng: &mut SplitMix64) -> String {
    let cumulative = [35, 65, 85, 100];
    [MODEL_CAORA, MODEL_SMAPA, MODEL_SAMPLE_C, MODEL_SAMPLE_D][rng.weighted(&cumulative)].to_string()
}

fn units(rng: &mut SplitMix64, kind: InstitutionKind) -> u32 {
    if kind == InstitutionKind::Hospital { [1, 2, 3, 3][rng.below(4) as usize] } else { 1 }
}

/// Subsidy claims keyed by institution code, as `SeedData` holds them.
pub type Claims = Vec<(String, SubsidyClaim)>;

/// Applications and claims for `institutions` (the first four being the seed institutions,
/// whose states are fixed so demos can rely on them: 日本海総合病院 shipped with three readers
/// and a paid claim, あかいクリニック selected, 矢嶋歯科医院 still 機種未定, さなえ薬局 shipped
/// with a claim under review).
pub fn generate(institutions: &[Institution], seed: u64) -> (Vec<(String, ReaderApplication)>, Claims) {
    let policy = Policy::builtin();
    let mut rng = SplitMix64::new(seed ^ 0xA5A5_5A5A_0F0F_F0F0);
    let mut applications = Vec::with_capacity(institutions.len() * 6 / 10);
    let mut claims = Vec::new();
    for (i, inst) in institutions.iter().enumerate() {
        let code = inst.code.as_str().to_string();
        if i < SEED_INSTITUTIONS.len() && SEED_INSTITUTIONS[i].name == inst.name {
            let (app, claim) = seed_state(&policy, inst);
            if let Some(claim) = claim {
                claims.push((code.clone(), claim));
            }
            applications.push((code, app));
            continue;
        }
        let share = if inst.large_chain { 0.95 } else { applied_share(inst.kind) };
        if !rng.chance(share) {
            continue;
        }
        let units = units(&mut rng, inst.kind);
        let roll = rng.below(10_000) as f64 / 10_000.0;
        let app = if roll < UNDECIDED_SHARE {
            ReaderApplication {
                status: ReaderStatus::Undecided,
                model_id: None,
                units,
                applied_on: Some(day_between(
                    &mut rng,
                    policy.undecided_window_start,
                    policy.undecided_window_end,
                )),
                version: 1,
            }
        } else if roll < UNDECIDED_SHARE + CANCELLED_SHARE {
            ReaderApplication {
                status: ReaderStatus::Cancelled,
                model_id: rng.chance(0.5).then(|| model(&mut rng)),
                units,
                applied_on: Some(day_between(&mut rng, day(2020, 11, 1), day(2021, 3, 31))),
                version: 1,
            }
        } else if roll < UNDECIDED_SHARE + CANCELLED_SHARE + SHIPPED_SHARE {
            ReaderApplication {
                status: ReaderStatus::Shipped,
                model_id: Some(model(&mut rng)),
                units,
                applied_on: Some(day_between(&mut rng, day(2020, 6, 1), day(2021, 4, 30))),
                version: 1,
            }
        } else {
            ReaderApplication {
                status: ReaderStatus::Selected,
                model_id: Some(model(&mut rng)),
                units,
                applied_on: Some(day_between(&mut rng, day(2020, 10, 1), day(2021, 6, 30))),
                version: 1,
            }
        };
        if app.status == ReaderStatus::Shipped && rng.chance(CLAIM_SHARE) {
            claims.push((code.clone(), claim(&mut rng, &policy, inst, units)));
        }
        applications.push((code, app));
    }
    (applications, claims)
}

/// A subsidy claim with a plausible 事業額 and dates that follow its status.
fn claim(rng: &mut SplitMix64, policy: &Policy, inst: &Institution, units: u32) -> SubsidyClaim {
    let cost = match inst.kind {
        InstitutionKind::Hospital => rng.range(900_000, 2_600_000),
        _ => rng.range(250_000, 650_000),
    } / 100
        * 100;
    let status = SubsidyStatus::ALL[rng.weighted(&[20, 50, 58, 80, 100])];
    let submitted_on = day_between(rng, day(2021, 4, 1), day(2021, 6, 10));
    let decided_on =
        matches!(status, SubsidyStatus::Approved | SubsidyStatus::Paid | SubsidyStatus::Returned)
            .then(|| (submitted_on + Days::new(rng.range(10, 40))).min(day(2021, 6, 25)));
    let paid_on = decided_on
        .filter(|_| status == SubsidyStatus::Paid)
        .map(|d| (d + Days::new(rng.range(3, 20))).min(day(2021, 6, 30)));
    SubsidyClaim {
        status,
        project_cost_yen: cost,
        units,
        submitted_on,
        decided_on,
        paid_on,
        payable_yen: payable_yen(policy, inst.kind, inst.large_chain, units, cost).unwrap_or(0),
    }
}

/// The fixed states of the four seed institutions.
fn seed_state(policy: &Policy, inst: &Institution) -> (ReaderApplication, Option<SubsidyClaim>) {
    let app = |status, model: Option<&str>, units, applied_on| ReaderApplication {
        status,
        model_id: model.map(str::to_string),
        units,
        applied_on: Some(applied_on),
        version: 1,
    };
    let claim = |status, cost, units, submitted_on, decided_on, paid_on| SubsidyClaim {
        status,
        project_cost_yen: cost,
        units,
        submitted_on,
        decided_on,
        paid_on,
        payable_yen: payable_yen(policy, inst.kind, inst.large_chain, units, cost).unwrap_or(0),
    };
    match inst.kind {
        InstitutionKind::Hospital => (
            app(ReaderStatus::Shipped, Some(MODEL_CAORA), 3, day(2020, 9, 15)),
            Some(claim(
                SubsidyStatus::Paid,
                2_350_000,
                3,
                day(2021, 4, 5),
                Some(day(2021, 5, 10)),
                Some(day(2021, 5, 28)),
            )),
        ),
        InstitutionKind::MedicalClinic => {
            (app(ReaderStatus::Selected, Some(MODEL_SMAPA), 1, day(2021, 4, 20)), None)
        }
        InstitutionKind::DentalClinic => (app(ReaderStatus::Undecided, None, 1, day(2021, 3, 15)), None),
        InstitutionKind::Pharmacy => (
            app(ReaderStatus::Shipped, Some(MODEL_CAORA), 1, day(2020, 12, 1)),
            Some(claim(SubsidyStatus::UnderReview, 396_000, 1, day(2021, 6, 1), None, None)),
        ),
    }
}
