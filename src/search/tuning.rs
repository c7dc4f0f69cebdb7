//! The lookup's tuning constants in one place, each with what it trades. The figures that
//! chose them are `madoguchi bench relevance` (what is found) and `madoguchi bench search`
//! (what a keystroke costs); change one, run both.

// ---- When the later steps run ----

/// The typo step runs when the exact steps found fewer than this. Its hits rank below every
/// exact match, so with this many exact ones they could only fill places below the few an
/// operator reads; lower saves the costliest step of a fresh query, higher mends more queries
/// whose exact hits are poor.
pub const TYPO_WHEN_FEWER_THAN: usize = 5;

/// The fuzzy step runs when the exact and typo steps found fewer hits than this (or than the
/// limit). Higher finds more far-fetched names, at nucleo's cost on more keystrokes.
pub const FUZZY_WHEN_FEWER_THAN: usize = 5;

// ---- What one keystroke may cost ----

/// At most this many keys are scored by nucleo per query: bounds a keystroke's cost, at the
/// risk of missing a fuzzy match among very common characters.
pub const FUZZY_MAX_SCORED: usize = 600;

/// At most this many candidate keys are checked for the query's other characters per query
/// (the fuzzy step's candidates): the same trade one step earlier.
pub const FUZZY_MAX_EXAMINED: usize = 3_000;

// ---- Typing on: incremental narrowing ----

/// Cached candidates up to this many are checked again directly; more, and the posting lists
/// of the longer query are read instead (they name fewer documents). Set where rechecking
/// keys costs as much as reading the lists.
pub const NARROW_DIRECTLY: usize = 2_000;

/// Past this many candidates a full scan is as cheap as rescanning them: such a set is not
/// cached (memory for no gain).
pub const MAX_CACHED_CANDIDATES: usize = 100_000;

/// Queries remembered for narrowing: enough for the operator's recent keystrokes and a step
/// back; each holds its candidate list.
pub const CACHE_ENTRIES: usize = 32;
