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

/// The typo step's limits (`search::typo`): every one bounds what a keystroke may cost against
/// the slips it can still mend; `bench relevance`'s typo table and its CPU line measure both.
pub mod typo {
    /// Queries shorter than this (in kana of the reading key) are not mended: too many
    /// readings are one slip away from two kana (noise in the results, for little found).
    pub const MIN_KANA: usize = 3;

    /// Longer queries (in characters) are mended near the break only: mending every place
    /// costs with the length, and a long query's slip is found at its break.
    pub const MAX_QUERY: usize = 40;

    /// Longer romaji queries are mended near the break only: their letters mended at every
    /// place read too many lists for what they find (the window finds the slips of long
    /// readings).
    pub const MAX_QUERY_ROMAJI: usize = 24;

    /// Longer queries (in characters) are not mended at all: no reading is that long, and
    /// reading the prefixes still costs with the length.
    pub const MAX_LETTERS: usize = 160;

    /// At most this many distinct mended readings of a romaji query are looked for (the most
    /// selective first: most mended spellings are read by no institution, and cost little);
    /// more would find rarer slips at a longer worst case.
    pub const MAX_STEMS: usize = 160;

    /// At most this many posting entries are read for the mended readings of a romaji query
    /// (their rarest lists, summed): the same trade in entries read.
    pub const MAX_READ: usize = 30_000;

    /// At most this many candidate documents are checked per way: a query whose mended forms
    /// name more finds only those checked first.
    pub const MAX_CHECKED: usize = 6_000;

    /// A place of the slip whose rarest posting list is longer than this is not looked at (a
    /// slip among the commonest kana names too many documents to check).
    pub const MAX_LIST: usize = 6_000;

    /// Letters before the break (the end of the longest prefix that still starts some
    /// reading) where the slip may be: the prefix can run on a little past a slip (a wrong
    /// vowel that still spells some reading's start, a half-typed syllable kept as `rest`).
    /// Wider finds slips further back, mending more spellings.
    pub const WINDOW_BACK: usize = 5;

    /// At most this many grams (the rarest) name a window's candidates: more lists read name
    /// hardly fewer documents.
    pub const MAX_GROUPS: usize = 4;

    /// Windows looked at, from the break back, before a short query is mended anywhere.
    pub const MAX_WINDOWS: usize = 2;

    /// Windows looked at when the break is only known to lie in a start of common grams (a
    /// slip in いりょうほうじんしゃだん): back to the start, at twice the work.
    pub const MAX_WINDOWS_COMMON: usize = 4;

    /// Letters after the break where the slip may be (a swap breaks the prefix one letter
    /// late).
    pub const WINDOW_AHEAD: usize = 1;

    /// The documents starting with a query's first kana are read once those kana make a
    /// posting list at most this long: longer lists cost more to read than the break saves.
    pub const START_LIST: usize = 2_000;

    /// At most this many `n` of a romaji query are read the other way (Hepburn's open `n`):
    /// each costs a search for the break.
    pub const MAX_N_READINGS: usize = 4;

    /// At most this many `n`s of a query's tail are read both ways (2^this spellings).
    pub const MAX_TAIL_NS: usize = 3;
}
