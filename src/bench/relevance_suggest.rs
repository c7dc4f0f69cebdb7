//! Suggestions during a call: how often the entry a caller asks about is among the three the
//! console proposes, from the call's note and the institution's state, on our own set of call
//! notes (`benches/relevance/faq_notes.tsv`, tuning and held-out halves), beside the note alone
//! and the state alone. `madoguchi bench relevance` prints it; the test below holds the floor.

use std::fmt;

use crate::domain::faq_context::{FaqContext, context_query};
use crate::domain::{InstitutionKind, ReaderStatus, SubsidyStatus};
use crate::import::faq::builtin_entries;
use crate::search::faq_index::FaqIndex;
use crate::search::faq_suggest::{CONTEXT_WEIGHT, suggest_with};

/// The set of call notes.
pub const NOTES_SET: &str = include_str!("../../benches/relevance/faq_notes.tsv");

/// Days to the deadline on the set's business date (2021-07-15).
const DAYS_LEFT: i64 = 17;

/// One note, its state and the entries that answer it.
#[derive(Debug, Clone)]
pub struct NoteCase {
    pub heldout: bool,
    pub context: FaqContext,
    pub note: String,
    pub expected: Vec<String>,
}

/// Parses the set; an unreadable line is an error naming it.
pub fn parse(tsv: &str) -> Result<Vec<NoteCase>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("split\t") {
            continue;
        }
        let bad = |why: &str| format!("faq_notes.tsv line {}: {why}", i + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let [split, state, note, expected] = cols[..] else { return Err(bad("four columns expected")) };
        let parts: Vec<&str> = state.split('/').collect();
        let [status, kind, units, subsidy] = parts[..] else {
            return Err(bad("state is status/kind/units/subsidy"));
        };
        let status = match status {
            "undecided" => ReaderStatus::Undecided,
            "selected" => ReaderStatus::Selected,
            "shipped" => ReaderStatus::Shipped,
            "cancelled" => ReaderStatus::Cancelled,
            "not_applied" => ReaderStatus::NotApplied,
            _ => return Err(bad("unknown status")),
        };
        let (kind, large_chain) = match kind {
            "hospital" => (InstitutionKind::Hospital, false),
            "clinic" => (InstitutionKind::MedicalClinic, false),
            "dental" => (InstitutionKind::DentalClinic, false),
            "pharmacy" => (InstitutionKind::Pharmacy, false),
            "chain_pharmacy" => (InstitutionKind::Pharmacy, true),
            _ => return Err(bad("unknown kind")),
        };
        let subsidy = match subsidy {
            "none" => None,
            "submitted" => Some(SubsidyStatus::Submitted),
            "under_review" => Some(SubsidyStatus::UnderReview),
            "returned" => Some(SubsidyStatus::Returned),
            "approved" => Some(SubsidyStatus::Approved),
            "paid" => Some(SubsidyStatus::Paid),
            _ => return Err(bad("unknown subsidy status")),
        };
        let units = units.parse().map_err(|_| bad("units is a number"))?;
        out.push(NoteCase {
            heldout: match split {
                "tune" => false,
                "heldout" => true,
                _ => return Err(bad("split is tune or heldout")),
            },
            context: FaqContext { kind, large_chain, status, units, days_left: DAYS_LEFT, subsidy },
            note: note.to_string(),
            expected: expected.split(',').map(str::to_string).collect(),
        });
    }
    Ok(out)
}

/// Top-3 hit rates of one way of suggesting, on each half.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HitRates {
    pub tune: f64,
    pub heldout: f64,
}

/// The figures `bench relevance` prints.
#[derive(Debug, Clone)]
pub struct SuggestBench {
    pub notes: usize,
    /// Note and state fused (what the console shows).
    pub fused: HitRates,
    pub note_only: HitRates,
    pub state_only: HitRates,
}

/// Top-3 hit rates with `context_weight` (0 = the note alone), or the state alone.
pub fn hit_rates(
    index: &FaqIndex,
    ids: &[String],
    cases: &[NoteCase],
    context_weight: f64,
    state_only: bool,
) -> HitRates {
    let mut hits = [0usize; 2];
    let mut total = [0usize; 2];
    for c in cases {
        let context = context_query(&c.context);
        let note = if state_only { "" } else { c.note.as_str() };
        let context = if context_weight > 0.0 || state_only { context.as_str() } else { "" };
        let ranking =
            suggest_with(index, note, context, 3, context_weight.max(f64::from(u8::from(state_only))));
        let half = usize::from(c.heldout);
        total[half] += 1;
        if ranking.hits.iter().any(|&(doc, _)| c.expected.contains(&ids[doc])) {
            hits[half] += 1;
        }
    }
    let rate = |h: usize, t: usize| if t == 0 { 0.0 } else { h as f64 / t as f64 };
    HitRates { tune: rate(hits[0], total[0]), heldout: rate(hits[1], total[1]) }
}

/// Runs the shipped set against the built-in FAQ.
pub fn run_builtin() -> Result<SuggestBench, String> {
    let cases = parse(NOTES_SET)?;
    let entries = builtin_entries();
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    for c in &cases {
        if let Some(missing) = c.expected.iter().find(|id| !ids.contains(id)) {
            return Err(format!("faq_notes.tsv: no built-in FAQ entry has id `{missing}`"));
        }
    }
    let index = FaqIndex::build(&entries);
    Ok(SuggestBench {
        notes: cases.len(),
        fused: hit_rates(&index, &ids, &cases, CONTEXT_WEIGHT, false),
        note_only: hit_rates(&index, &ids, &cases, 0.0, false),
        state_only: hit_rates(&index, &ids, &cases, 1.0, true),
    })
}

impl fmt::Display for SuggestBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "FAQ suggestions during a call ({} notes), top-3 hit rate, tuned on / held out:",
            self.notes
        )?;
        writeln!(f, "  note + state (shown)  {:.3} / {:.3}", self.fused.tune, self.fused.heldout)?;
        writeln!(f, "  note alone            {:.3} / {:.3}", self.note_only.tune, self.note_only.heldout)?;
        write!(f, "  state alone           {:.3} / {:.3}", self.state_only.tune, self.state_only.heldout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_the_asked_entry_in_the_top_three() {
        let bench = run_builtin().expect("the set reads");
        println!("{bench}");
        assert!(bench.notes >= 60);
        assert!(bench.fused.heldout >= 0.85, "{bench}");
        assert!(bench.fused.heldout >= bench.note_only.heldout - 1e-9, "the state must not hurt: {bench}");
    }

    /// The sweep that chose `CONTEXT_WEIGHT` (tuning half only): `cargo test --lib
    /// context_weight_sweep -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn context_weight_sweep() {
        let cases = parse(NOTES_SET).expect("set");
        let entries = builtin_entries();
        let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
        let index = FaqIndex::build(&entries);
        for w in [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0] {
            let r = hit_rates(&index, &ids, &cases, w, false);
            println!("weight {w}: tune {:.3}", r.tune);
        }
    }
}
