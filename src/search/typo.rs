//! Slips of the keyboard and the ear: readings found although the query holds one slip (a
//! letter or kana dropped, two adjacent ones swapped, a wrong vowel or kana).
//!
//! Everything is read from posting lists the index already has (no memory of its own), and
//! the work is bounded. Two steps, the second only for a short query the first did not mend:
//!
//! - **Near the break**, any length (`iryouhoujnshadan...byouin`): the longest prefix of the
//!   query that still starts some reading is found (the readings starting with its first kana
//!   that make a short posting list are read once, and the longest start they share with the
//!   query is the break); the slip is at or a few letters before where that prefix breaks
//!   (when it lies among those first, common kana, the windows go back to the start). Only a small window there is mended (a letter put back, a swap undone, a
//!   vowel changed, a letter taken out), the unchanged prefix and tail name the candidates
//!   through their grams, and each candidate is checked for starting with the whole mended
//!   query. The work follows the window, not the query's length. Romaji `n` that Hepburn
//!   leaves open (shinichi しにち / しんいち, sannomiya さんのみや where the IME reads
//!   さんおみや) is read whichever way lets the prefix run on, and both ways in the tail.
//! - **Anywhere**, short queries ([`MAX_QUERY_ROMAJI`], [`MAX_QUERY`] for kana): romaji (`tnabe`, `tanbe`, `tanebe`): every
//!   spelling one letter edit away that reads as romaji is read as kana, and each distinct
//!   reading (at most [`MAX_STEMS`], the most selective first, within [`MAX_READ`] posting
//!   entries) is looked for as a reading start. Kana (`たべ`, `たべな`): for each place the
//!   slip may be, the documents holding the query's start and every kana pair away from that
//!   place are read, and each is checked for starting with the query one edit away.
//!
//! A slip is mended in the letters typed, then read as a key: a romaji slip of one letter can
//! be two kana (`tanbe` → たんべ for たなべ), and a kana swap can meet a long vowel the key
//! collapses (こうほくょびういん). At most [`MAX_CHECKED`] candidate documents are checked
//! per step. The index ranks these hits below every exact match and runs this step only when
//! the exact steps found too little.

use std::collections::HashSet;

use super::normalize::{fold, reading_key};
use super::postings::{Postings, bigram, start_gram};
use super::{kana_code, romaji};

/// Queries shorter than this (in kana of the reading key) are not mended: too many readings
/// are one slip away from two kana.
pub const MIN_KANA: usize = 3;
/// Longer queries (in characters) are mended near the break only: mending every place costs
/// with the length.
pub const MAX_QUERY: usize = 40;
/// Longer romaji queries are mended near the break only: their letters mended at every place
/// read too many lists for what they find (the window finds the slips of long readings).
pub const MAX_QUERY_ROMAJI: usize = 24;
/// Longer queries (in characters) are not mended at all: no reading is that long, and
/// reading the prefixes still costs with the length.
pub const MAX_LETTERS: usize = 160;
/// At most this many distinct mended readings of a romaji query are looked for (the most
/// selective first: most mended spellings are read by no institution, and cost little).
pub const MAX_STEMS: usize = 160;
/// At most this many posting entries are read for the mended readings of a romaji query
/// (their rarest lists, summed).
pub const MAX_READ: usize = 30_000;
/// At most this many candidate documents are checked per query.
pub const MAX_CHECKED: usize = 6_000;
/// A place of the slip whose rarest posting list is longer than this is not looked at.
pub const MAX_LIST: usize = 6_000;

/// Documents whose reading (one of its alternatives, separated by `sep` in `key(doc)`, in
/// [`kana_code`]'s reading-key bytes) starts with the query mended by one slip, ascending; at most [`MAX_CHECKED`] checked per way.
pub fn matches<'k>(folded: &str, grams: &Postings, key: &dyn Fn(u32) -> &'k [u8], sep: u8) -> Vec<u32> {
    let readings = Readings { grams, key, sep, known: Default::default() };
    let letters: Vec<char> = folded.chars().collect();
    if letters.len() > MAX_LETTERS {
        return Vec::new();
    }
    let mut out = if letters.iter().all(|&c| is_kana(c)) {
        if reading_key(folded).chars().count() < MIN_KANA {
            return Vec::new();
        }
        match readings.near_break(Script::Kana, &letters) {
            found if !found.is_empty() => found,
            _ if letters.len() <= MAX_QUERY => kana_anywhere(&readings, folded),
            _ => Vec::new(),
        }
    } else if letters.iter().all(|&c| c.is_ascii_lowercase() || c == '-' || c == '\'') {
        match readings.near_break(Script::Romaji, &letters) {
            found if !found.is_empty() => found,
            _ if letters.len() <= MAX_QUERY_ROMAJI => romaji_anywhere(&readings, folded),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The kana step for a short query: every place of the slip (see the module doc).
fn kana_anywhere(r: &Readings<'_, '_>, folded: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let stem: Vec<char> = reading_key(folded).chars().collect();
    let mut cands: Vec<u32> = Vec::new();
    let mut tried: HashSet<Vec<Vec<u64>>> = HashSet::new();
    // The pairs a slip at `d` breaks: one for a kana dropped before it, two for a wrong or
    // extra one, three for a swap with the next.
    for d in 0..stem.len() {
        for width in 1..=3 {
            let Some(groups) = start_groups(&stem, Some((d, width))) else { continue };
            if tried.insert(groups.clone()) && rarest(r.grams, &groups) <= MAX_LIST {
                cands.extend(r.grams.intersect(&groups));
            }
        }
    }
    cands.sort_unstable();
    cands.dedup();
    let mut buf: Vec<char> = Vec::new();
    for doc in cands.into_iter().take(MAX_CHECKED) {
        let ok = alternatives((r.key)(doc), r.sep).any(|alt| {
            buf.clear();
            buf.extend(kana_code::key_chars(alt));
            starts_within_one(&stem, &buf)
        });
        if ok {
            out.push(doc);
        }
    }
    out
}

/// The romaji step for a short query: every spelling one edit away (see the module doc).
fn romaji_anywhere(r: &Readings<'_, '_>, folded: &str) -> Vec<u32> {
    let exact = romaji::to_kana(folded).map(|r| reading_key(&r.kana));
    r.look_for(romaji_stems(folded, exact.as_deref()))
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}

fn alternatives(key: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    key.split(move |&b| b == sep)
}

/// Length of the shortest list among `groups` (a group is a union of grams).
fn rarest(grams: &Postings, groups: &[Vec<u64>]) -> usize {
    groups.iter().map(|g| g.iter().map(|&x| grams.count(x)).sum::<usize>()).min().unwrap_or(usize::MAX)
}

/// The groups for "a reading starting with `chars`": its first kana as a start, and every pair,
/// leaving out `skip` = (d, width): the `width` pairs from the one ending at `d` on (the ones a
/// slip at `d` may have broken; the start too when `d` is 0). `None` when that leaves less
/// than two groups (too little to read few lists).
fn start_groups(chars: &[char], skip: Option<(usize, usize)>) -> Option<Vec<Vec<u64>>> {
    let mut groups = Vec::new();
    let first = *chars.first()?;
    if skip.is_none_or(|(d, _)| d > 0) {
        groups.push(vec![start_gram(first)]);
    }
    for j in 0..chars.len().saturating_sub(1) {
        // Pair j is chars[j], chars[j + 1]; the one ending at d is j = d - 1.
        if let Some((d, width)) = skip
            && j + 1 >= d
            && j + 1 < d + width
        {
            continue;
        }
        groups.push(vec![bigram(chars[j], chars[j + 1])]);
    }
    groups.sort();
    groups.dedup();
    (groups.len() >= 2).then_some(groups)
}

/// True when some prefix of `key` is `query` with one edit undone (a character dropped from
/// the query, one too many, one wrong, or two adjacent ones swapped), or `query` itself.
pub fn starts_within_one(query: &[char], key: &[char]) -> bool {
    let n = query.len();
    let i = query.iter().zip(key).take_while(|(a, b)| a == b).count();
    if i == n {
        return true;
    }
    let prefix = |q: &[char], k: &[char]| k.len() >= q.len() && k[..q.len()] == *q;
    // One dropped from the query: the key has an extra character at i.
    (i < key.len() && prefix(&query[i..], &key[i + 1..]))
        // One too many in the query.
        || prefix(&query[i + 1..], &key[i..])
        // One wrong.
        || (i < key.len() && prefix(&query[i + 1..], &key[i + 1..]))
        // Two swapped.
        || (i + 1 < n && i + 1 < key.len() && query[i] == key[i + 1] && query[i + 1] == key[i]
            && prefix(&query[i + 2..], &key[i + 2..]))
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
const VOWELS: &str = "aiueo";

/// The reading keys of the spellings one letter edit from `folded` that read as romaji, most
/// likely slips first (a letter put back, a swap undone, a vowel changed, a letter too many),
/// without `exact` (already looked for), shorter than [`MIN_KANA`], or repeats.
pub fn romaji_stems(folded: &str, exact: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let letters: Vec<char> = folded.chars().collect();
    for letters in &romaji_bases(&letters) {
        mend(letters, exact, &mut seen, &mut out);
    }
    out
}

/// The spellings a romaji query may stand for: as typed, and (Hepburn without the apostrophe)
/// with `n` before a vowel or `y` read as ん too (shinichi しんいち) when it holds one.
pub fn romaji_bases(letters: &[char]) -> Vec<Vec<char>> {
    let mut bases = vec![letters.to_vec()];
    let ambiguous = |i: usize| {
        letters[i] == 'n'
            && (i == 0 || letters[i - 1] != 'n')
            && letters.get(i + 1).is_some_and(|&c| VOWELS.contains(c) || c == 'y')
    };
    if (0..letters.len()).any(ambiguous) {
        let mut doubled = Vec::with_capacity(letters.len() + 4);
        for (i, &c) in letters.iter().enumerate() {
            doubled.push(c);
            if i > 0 && ambiguous(i) {
                doubled.push('n');
            }
        }
        if doubled.len() > letters.len() {
            bases.push(doubled);
        }
    }
    bases
}

/// [`romaji_stems`] of one spelling: itself, then one edit away.
fn mend(letters: &[char], exact: Option<&str>, seen: &mut HashSet<String>, out: &mut Vec<String>) {
    let n = letters.len();
    let mut spelling = String::with_capacity(n + 1);
    let mut push = |spelling: &str, out: &mut Vec<String>| {
        let Some(r) = romaji::to_kana(spelling) else { return };
        let stem = reading_key(&fold(&r.kana));
        if stem.chars().count() < MIN_KANA || Some(stem.as_str()) == exact || !seen.insert(stem.clone()) {
            return;
        }
        out.push(stem);
    };
    spelling.extend(letters);
    push(&spelling, out);
    // A letter put back (the query dropped one).
    for i in 0..=n {
        for c in LETTERS.chars() {
            spelling.clear();
            spelling.extend(&letters[..i]);
            spelling.push(c);
            spelling.extend(&letters[i..]);
            push(&spelling, out);
        }
    }
    // Two adjacent letters swapped back.
    for i in 0..n.saturating_sub(1) {
        if letters[i] == letters[i + 1] {
            continue;
        }
        spelling.clear();
        spelling.extend(&letters[..i]);
        spelling.push(letters[i + 1]);
        spelling.push(letters[i]);
        spelling.extend(&letters[i + 2..]);
        push(&spelling, out);
    }
    // A wrong vowel.
    for i in 0..n {
        if !VOWELS.contains(letters[i]) {
            continue;
        }
        for v in VOWELS.chars().filter(|&v| v != letters[i]) {
            spelling.clear();
            spelling.extend(&letters[..i]);
            spelling.push(v);
            spelling.extend(&letters[i + 1..]);
            push(&spelling, out);
        }
    }
    // A letter too many.
    for i in 0..n {
        spelling.clear();
        spelling.extend(&letters[..i]);
        spelling.extend(&letters[i + 1..]);
        push(&spelling, out);
    }
}

/// Letters before the break (the end of the longest prefix that still starts some reading)
/// where the slip may be: the prefix can run on a little past a slip (a wrong vowel that
/// still spells some reading's start, a half-typed syllable kept as `rest`).
pub const WINDOW_BACK: usize = 5;
/// At most this many grams (the rarest) name a window's candidates.
pub const MAX_GROUPS: usize = 4;
/// Windows looked at, from the break back, before a short query is mended anywhere.
pub const MAX_WINDOWS: usize = 2;
/// Windows looked at when the break is only known to lie in a start of common grams (a slip in
/// いりょうほうじんしゃだん).
pub const MAX_WINDOWS_COMMON: usize = 4;
/// Letters after the break where the slip may be (a swap breaks the prefix one letter late).
pub const WINDOW_AHEAD: usize = 1;
/// The documents starting with a query's first kana are read once those kana make a posting
/// list at most this long.
pub const START_LIST: usize = 2_000;

/// How a query's letters read as a reading key: romaji through the converter, kana as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Romaji,
    Kana,
}

impl Script {
    /// The kana `letters` spell (`None`: not romaji); a half-typed last syllable is left out.
    fn kana(self, letters: &[char]) -> Option<String> {
        let text: String = letters.iter().collect();
        match self {
            Script::Romaji if !text.is_empty() => romaji::to_kana(&text).map(|r| r.kana),
            _ => Some(text),
        }
    }

    /// The reading key `letters` spell.
    pub fn key(self, letters: &[char]) -> Option<String> {
        self.kana(letters).map(|k| reading_key(&k))
    }

    /// True when the letters before `i` read as the same kana whatever follows (a syllable
    /// ends there and the next one does not lean back on it).
    pub fn cut_at(self, letters: &[char], i: usize) -> bool {
        if i == 0 || i >= letters.len() {
            return true;
        }
        let (before, at) = (letters[i - 1], letters[i]);
        match self {
            // Every syllable ends in a vowel (or is `-`); Hepburn's `oh` leans back.
            Script::Romaji => (VOWELS.contains(before) || before == '-') && !(before == 'o' && at == 'h'),
            Script::Kana => !"ぁぃぅぇぉゃゅょゎ゛゜".contains(at),
        }
    }
}

/// `key` (a reading key) followed by the key of `kana` read after it: the long vowels of
/// `kana` collapse against `key`'s last kana, as in the key of the whole.
pub fn join_key(key: &str, kana: &str) -> String {
    let Some(last) = key.chars().last() else { return reading_key(kana) };
    let mut joined = String::with_capacity(last.len_utf8() + kana.len());
    joined.push(last);
    joined.push_str(kana);
    let tail = reading_key(&joined);
    let mut out = String::with_capacity(key.len() + tail.len());
    out.push_str(key);
    out.push_str(&tail[tail.chars().next().map_or(0, char::len_utf8)..]);
    out
}

/// The kana rows, by vowel: a wrong vowel in kana stays in its row (か → き く け こ).
const KANA_ROWS: &[&str] = &[
    "あいうえお",
    "かきくけこ",
    "がぎぐげご",
    "さしすせそ",
    "ざじずぜぞ",
    "たちつてと",
    "だぢづでど",
    "なにぬねの",
    "はひふへほ",
    "ばびぶべぼ",
    "ぱぴぷぺぽ",
    "まみむめも",
    "や ゆ よ",
    "らりるれろ",
    "わ   を",
    "ゃ ゅ ょ",
];

/// The other kana of `c`'s row (its wrong vowels).
fn row_mates(c: char) -> impl Iterator<Item = char> {
    let row = KANA_ROWS.iter().find(|r| r.contains(c)).copied().unwrap_or("");
    row.chars().filter(move |&k| k != c && k != ' ')
}

/// Every spelling of `seg` with one slip undone at a place in `from..=to`: a letter put back
/// (romaji only: a dropped kana the fuzzy step finds), two adjacent ones swapped back, a wrong
/// vowel changed, a letter too many taken out.
pub fn window_mends(script: Script, seg: &[char], from: usize, to: usize) -> Vec<Vec<char>> {
    let mut out = Vec::new();
    let to = to.min(seg.len());
    let with = |i: usize, del: usize, put: &[char]| -> Vec<char> {
        let mut s = Vec::with_capacity(seg.len() + 1);
        s.extend_from_slice(&seg[..i]);
        s.extend_from_slice(put);
        s.extend_from_slice(&seg[(i + del).min(seg.len())..]);
        s
    };
    for i in from..=to {
        if script == Script::Romaji {
            for c in LETTERS.chars() {
                out.push(with(i, 0, &[c]));
            }
        }
        if i + 1 < seg.len() && seg[i] != seg[i + 1] {
            out.push(with(i, 2, &[seg[i + 1], seg[i]]));
        }
        if i < seg.len() {
            match script {
                Script::Romaji if VOWELS.contains(seg[i]) => {
                    for v in VOWELS.chars().filter(|&v| v != seg[i]) {
                        out.push(with(i, 1, &[v]));
                    }
                }
                Script::Romaji => {}
                Script::Kana => {
                    for k in row_mates(seg[i]) {
                        out.push(with(i, 1, &[k]));
                    }
                }
            }
            out.push(with(i, 1, &[]));
        }
    }
    out
}

/// Everything the windowed step reads: the posting lists and each document's reading key.
struct Readings<'a, 'k> {
    grams: &'a Postings,
    key: &'a dyn Fn(u32) -> &'k [u8],
    sep: u8,
    /// [`Readings::prefix_docs`] read so far, by prefix.
    known: std::cell::RefCell<std::collections::HashMap<String, Vec<u32>>>,
}

impl Readings<'_, '_> {
    /// The documents whose reading starts with the first kana of `key` (a reading key) that
    /// make its rarest list at most [`START_LIST`] long, and how many kana that is; `None`
    /// when every list of `key` is longer (all its grams are common: taken as a start). Read
    /// once per such prefix, then kept.
    fn prefix_docs(&self, key: &[char]) -> Option<(usize, Vec<u32>)> {
        let first = *key.first()?;
        let mut rarest = (self.grams.count(start_gram(first)), start_gram(first));
        let mut m = 1;
        while rarest.0 > START_LIST && m < key.len() {
            let g = bigram(key[m - 1], key[m]);
            rarest = rarest.min((self.grams.count(g), g));
            m += 1;
        }
        if rarest.0 > START_LIST {
            return None;
        }
        let prefix: String = key[..m].iter().collect();
        let mut known = self.known.borrow_mut();
        if let Some(docs) = known.get(&prefix) {
            return Some((m, docs.clone()));
        }
        // The rarest list is short: each of its documents is checked, no list intersected.
        let needle = kana_code::key(&prefix);
        let docs: Vec<u32> = self
            .grams
            .docs(rarest.1)
            .into_iter()
            .filter(|&d| alternatives((self.key)(d), self.sep).any(|a| a.starts_with(&needle)))
            .collect();
        known.insert(prefix, docs.clone());
        Some((m, docs))
    }

    /// How many kana of `key` (a reading key) start some reading.
    fn key_break(&self, key: &[char]) -> (usize, bool) {
        let Some((m, docs)) = self.prefix_docs(key) else { return (key.len(), true) };
        let whole: Vec<u8> = key.iter().map(|&c| kana_code::key_byte(c)).collect();
        let mut best = 0usize;
        for &d in &docs {
            for alt in alternatives((self.key)(d), self.sep) {
                best = best.max(common_prefix(alt, &whole));
            }
        }
        if best == 0 {
            // Not even the first `m` kana start a reading: the slip is among them, somewhere
            // in a start of common grams only.
            return (m - 1, false);
        }
        // One byte per kana: the bytes shared are the kana shared.
        (best, true)
    }

    /// [`windowed`], its mended readings looked for one by one when it gives those.
    fn near_break(&self, script: Script, letters: &[char]) -> Vec<u32> {
        let (letters, (brk, sure)) = match script {
            Script::Romaji => self.resolve_n(letters),
            Script::Kana => (letters.to_vec(), self.break_at(script, letters)),
        };
        // The window at the break first, then the one before it (a slip the prefix ran on
        // past: `riyou` for `iryou` starts りよう...); back to the start when the break is
        // only known to lie in a start of common grams.
        let width = WINDOW_BACK + WINDOW_AHEAD + 1;
        let windows = if sure { MAX_WINDOWS } else { MAX_WINDOWS_COMMON };
        for k in 0..windows {
            let Some(to) = (brk + WINDOW_AHEAD).min(letters.len()).checked_sub(k * width) else { break };
            let found = match windowed(self, script, &letters, to.saturating_sub(width - 1), to) {
                Some(Window::Found(found)) => found,
                Some(Window::Stems(stems)) => self.look_for(stems),
                None => Vec::new(),
            };
            if !found.is_empty() || to < width {
                return found;
            }
        }
        Vec::new()
    }

    /// The documents whose reading starts with one of `stems` (reading keys), the most
    /// selective first, within [`MAX_STEMS`] stems, [`MAX_READ`] entries read and
    /// [`MAX_CHECKED`] documents checked.
    fn look_for(&self, stems: Vec<String>) -> Vec<u32> {
        let mut out = Vec::new();
        // The most selective readings first: the budget then cuts the costly ones.
        let mut stems: Vec<(usize, String, Vec<Vec<u64>>)> = stems
            .into_iter()
            .filter_map(|stem| {
                let chars: Vec<char> = stem.chars().collect();
                let groups = start_groups(&chars, None)?;
                let size = rarest(self.grams, &groups);
                (size > 0 && size <= MAX_LIST).then_some((size, stem, groups))
            })
            .collect();
        stems.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let (mut checked, mut read) = (0usize, 0usize);
        for (size, stem, groups) in stems.iter().take(MAX_STEMS) {
            read += size;
            if checked >= MAX_CHECKED || read > MAX_READ {
                break;
            }
            let needle = kana_code::key(stem);
            for doc in self.grams.intersect(groups) {
                if checked >= MAX_CHECKED {
                    break;
                }
                checked += 1;
                if alternatives((self.key)(doc), self.sep).any(|alt| alt.starts_with(&needle)) {
                    out.push(doc);
                }
            }
        }
        out
    }

    /// The letters of the longest prefix of `letters` that reads as the start of some reading
    /// (see [`Self::key_break`]; a half-typed syllable after it counts in).
    fn break_at(&self, script: Script, letters: &[char]) -> (usize, bool) {
        // The longest prefix that reads as kana at all (a slip can make romaji unreadable).
        let reads = |n: usize| script.kana(&letters[..n]).is_some();
        let n = letters.len();
        let readable = if reads(n) { n } else { last_true(0, n, reads) };
        let Some(key) = script.key(&letters[..readable]) else { return (0, true) };
        let key: Vec<char> = key.chars().collect();
        let (b, sure) = self.key_break(&key);
        if b >= key.len() {
            return (readable, sure);
        }
        // The letters whose key stays within those `b` kana.
        let within = |l: usize| script.key(&letters[..l]).is_some_and(|k| k.chars().count() <= b);
        (last_true(0, readable, within), sure)
    }

    /// Romaji `letters` with each `n` whose reading Hepburn leaves open (shinichi: しにち or
    /// しんいち; sannomiya: さんのみや, where the IME reads さんおみや) read the way that lets
    /// the prefix run on, nearest the break first, and the break then.
    fn resolve_n(&self, letters: &[char]) -> (Vec<char>, (usize, bool)) {
        let mut letters = letters.to_vec();
        let mut brk = self.break_at(Script::Romaji, &letters);
        for _ in 0..MAX_N_READINGS {
            let from = brk.0.saturating_sub(WINDOW_BACK);
            let best = n_readings(&letters, from, brk.0)
                .into_iter()
                .map(|(_, other)| (self.break_at(Script::Romaji, &other), other))
                .max_by_key(|(b, _)| b.0);
            match best {
                Some((b, other)) if b.0 > brk.0 + 1 => (letters, brk) = (other, b),
                _ => break,
            }
        }
        (letters, brk)
    }
}

/// The largest `n` in `lo..=hi` for which `ok` holds, `ok(lo)` taken as holding and `ok` as
/// holding up to some point and not after (a binary search).
fn last_true(lo: usize, hi: usize, ok: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (lo, hi + 1);
    while hi > lo + 1 {
        let mid = (lo + hi) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Bytes `a` and `b` share from the start (reading-key bytes: one per character).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// At most this many `n` of a romaji query are read the other way ([`Readings::resolve_n`]).
pub const MAX_N_READINGS: usize = 4;

/// The spellings of `letters` with one `n` at `from..=to` read the other way Hepburn allows,
/// with the place: `n` before a vowel or `y` as ん (shinichi → shinnichi), `nn` before one as
/// ん and the next syllable (sannomiya → sannnomiya).
pub fn n_readings(letters: &[char], from: usize, to: usize) -> Vec<(usize, Vec<char>)> {
    n_places(letters)
        .into_iter()
        .filter(|&(j, _)| (from..=to).contains(&j))
        .map(|(j, put)| {
            let mut other = letters.to_vec();
            other.insert(put, 'n');
            (j, other)
        })
        .collect()
}

/// The `n`s of `letters` that read two ways (see [`n_readings`]), in order: the place of the
/// `n` and where a second `n` makes it the other reading.
pub fn n_places(letters: &[char]) -> Vec<(usize, usize)> {
    let at = |i: usize| letters.get(i).copied().unwrap_or(' ');
    let opens = |c: char| VOWELS.contains(c) || c == 'y';
    let mut out = Vec::new();
    for j in 1..letters.len() {
        if at(j) != 'n' || at(j - 1) == 'n' {
            continue;
        }
        if opens(at(j + 1)) {
            out.push((j, j + 1));
        } else if at(j + 1) == 'n' && opens(at(j + 2)) {
            out.push((j, j + 2));
        }
    }
    out
}

/// At most this many `n`s of a query's tail are read both ways (2^this spellings).
pub const MAX_TAIL_NS: usize = 3;

/// `letters` read every way its first [`MAX_TAIL_NS`] two-way `n`s (`places`, from
/// [`n_places`]) allow, as typed first.
pub fn n_spellings(letters: &[char], places: &[(usize, usize)]) -> Vec<Vec<char>> {
    let places = &places[..places.len().min(MAX_TAIL_NS)];
    (0..1usize << places.len())
        .map(|mask| {
            let mut s = letters.to_vec();
            // From the last place back, so that the earlier places stay where they were.
            for (k, &(_, put)) in places.iter().enumerate().rev() {
                if mask & (1 << k) != 0 {
                    s.insert(put, 'n');
                }
            }
            s
        })
        .collect()
}

/// What the windowed step gives: the documents found, or (when the lists the unchanged parts
/// name are too long to read: a short query) the mended readings to look for one by one.
enum Window {
    Found(Vec<u32>),
    Stems(Vec<String>),
}

/// The documents whose reading starts with `letters` mended by one slip near the break (see
/// [`Window`]); `None` when the unchanged parts do not read as kana.
///
/// The query is cut at syllable boundaries into a prefix that is some reading's start, a
/// window around the break, and a tail: the candidates are the documents holding the grams of
/// the prefix (from its start) and of the tail, each candidate is checked against the prefix
/// and the mended windows, and only a window that fits has the whole mended query checked.
fn windowed(r: &Readings<'_, '_>, script: Script, letters: &[char], ws: usize, we: usize) -> Option<Window> {
    let n = letters.len();
    let p = (0..=ws).rev().find(|&i| script.cut_at(letters, i)).unwrap_or(0);
    let c = ((we + 2).min(n)..=n).find(|&i| script.cut_at(letters, i)).unwrap_or(n);
    let key_p = script.key(&letters[..p])?;
    let tail_letters = &letters[c..];
    let places = match script {
        Script::Romaji => n_places(tail_letters),
        Script::Kana => Vec::new(),
    };
    // The tail every way its `n`s read; its grams, those every way shares.
    let tails: Vec<String> =
        n_spellings(tail_letters, &places).iter().filter_map(|t| script.kana(t)).collect();
    let mut shared: Option<HashSet<u64>> = None;
    for t in &tails {
        // The tail's first kana may be a long vowel the whole key drops: its pairs from the second.
        let k: Vec<char> = reading_key(t).chars().skip(1).collect();
        let pairs: HashSet<u64> = k.windows(2).map(|w| bigram(w[0], w[1])).collect();
        shared = Some(match shared {
            None => pairs,
            Some(s) => s.intersection(&pairs).copied().collect(),
        });
    }
    // The grams the slip cannot have touched.
    let mut groups: Vec<Vec<u64>> = Vec::new();
    let pk: Vec<char> = key_p.chars().collect();
    if let Some(&first) = pk.first() {
        groups.push(vec![start_gram(first)]);
    }
    groups.extend(pk.windows(2).map(|w| vec![bigram(w[0], w[1])]));
    groups.extend(shared.unwrap_or_default().into_iter().map(|g| vec![g]));
    groups.sort();
    groups.dedup();
    // The rarest few name the candidates as well as all of them would, reading less.
    groups.sort_by_cached_key(|g| r.grams.count(g[0]));
    groups.truncate(MAX_GROUPS);
    // The mended windows, as keys of the prefix and window.
    let seg = &letters[p..c];
    let mut heads: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    // The window every way its `n`s read (after the slip's earliest place), each mended.
    let places: Vec<(usize, usize)> = match script {
        Script::Romaji => n_places(seg).into_iter().filter(|&(j, _)| j >= ws - p).collect(),
        Script::Kana => Vec::new(),
    };
    let spellings = n_spellings(seg, &places);
    let mended =
        spellings.iter().flat_map(|sp| window_mends(script, sp, ws - p, we - p + sp.len() - seg.len()));
    for mended in mended {
        let Some(kana) = script.kana(&mended) else { continue };
        let head = join_key(&key_p, &kana);
        if seen.insert(head.clone()) {
            heads.push(head);
        }
    }
    if groups.is_empty() || rarest(r.grams, &groups) > MAX_LIST {
        let exact = script.key(letters);
        let stems = heads
            .iter()
            .flat_map(|h| tails.iter().map(|t| join_key(h, t)))
            .filter(|s| s.chars().count() >= MIN_KANA && Some(s) != exact.as_ref())
            .collect::<HashSet<String>>();
        return Some(Window::Stems(stems.into_iter().collect()));
    }
    let coded: Vec<Vec<u8>> = heads.iter().map(|h| kana_code::key(h)).collect();
    let mut lengths: Vec<usize> = coded.iter().map(Vec::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let index: std::collections::HashMap<&[u8], usize> =
        coded.iter().enumerate().map(|(i, h)| (h.as_slice(), i)).collect();
    let mut whole: Vec<Option<Vec<Vec<u8>>>> = vec![None; heads.len()];
    let mut out = Vec::new();
    for doc in r.grams.intersect(&groups).into_iter().take(MAX_CHECKED) {
        let hit = alternatives((r.key)(doc), r.sep).any(|alt| {
            lengths.iter().take_while(|&&l| l <= alt.len()).any(|&l| {
                let Some(&i) = index.get(&alt[..l]) else { return false };
                let fulls = whole[i].get_or_insert_with(|| {
                    tails.iter().map(|t| kana_code::key(&join_key(&heads[i], t))).collect()
                });
                fulls.iter().any(|full| full.len() >= MIN_KANA && alt.starts_with(full))
            })
        });
        if hit {
            out.push(doc);
        }
    }
    Some(Window::Found(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_from_a_prefix() {
        let key = chars("たなべいん");
        assert!(starts_within_one(&chars("たなべ"), &key));
        assert!(starts_within_one(&chars("たべい"), &key), "drop");
        assert!(starts_within_one(&chars("なたべ"), &key), "swap");
        assert!(starts_within_one(&chars("たねべ"), &key), "wrong kana");
        assert!(starts_within_one(&chars("たななべ"), &key), "one too many");
        assert!(!starts_within_one(&chars("たねび"), &key), "two edits");
        assert!(!starts_within_one(&chars("やまだ"), &key));
        assert!(starts_within_one(&chars("たなべいんx"), &key), "last one extra");
    }

    #[test]
    fn romaji_slips_are_mended() {
        for slip in ["tnabe", "tanbe", "tnaabe", "tanebe", "taanabe"] {
            let stems = romaji_stems(slip, None);
            assert!(stems.contains(&"たなべ".to_string()), "{slip}: {stems:?}");
        }
        assert!(romaji_stems("ab", None).is_empty());
        // The query as typed is not a mended reading.
        assert!(!romaji_stems("tanabe", Some("たなべ")).contains(&"たなべ".to_string()));
        // Hepburn without the apostrophe, alone and with a slip.
        assert!(romaji_stems("shinichi", Some("しにち")).contains(&"しんいち".to_string()));
        assert!(romaji_stems("shinicih", Some("しにち")).contains(&"しんいち".to_string()));
    }

    /// Postings of start grams and kana pairs over `keys` (alternatives separated by `\u{1}`).
    fn index_of(keys: &[&str]) -> Postings {
        let mut grams = Postings::default();
        for (doc, k) in keys.iter().enumerate() {
            for alt in k.split('\u{1}') {
                let cs: Vec<char> = alt.chars().collect();
                if let Some(&c) = cs.first() {
                    grams.add(start_gram(c), doc as u32);
                }
                for w in cs.windows(2) {
                    grams.add(bigram(w[0], w[1]), doc as u32);
                }
            }
        }
        grams.freeze();
        grams
    }

    /// The keys as the index holds them (alternatives split by `\u{1}`, in the kana code).
    fn coded(keys: &[&str]) -> Vec<Vec<u8>> {
        keys.iter()
            .map(|k| {
                let alts: Vec<Vec<u8>> = k.split('\u{1}').map(kana_code::key).collect();
                alts.join(&1u8)
            })
            .collect()
    }

    #[test]
    fn finds_through_postings_within_bounds() {
        let keys = ["たなべいん", "やまだびよいん", "たなかいん\u{1}いりようほうじん"];
        let grams = index_of(&keys);
        let coded = coded(&keys);
        let key = |d: u32| coded[d as usize].as_slice();
        assert_eq!(matches("たなべいn", &grams, &key, 1), Vec::<u32>::new(), "not all kana, not romaji");
        assert_eq!(matches("たべいん", &grams, &key, 1), vec![0]);
        assert_eq!(matches("やまびよいん", &grams, &key, 1), vec![1]);
        assert_eq!(matches("tnabeiin", &grams, &key, 1), vec![0]);
        assert_eq!(matches("yamdabyouin", &grams, &key, 1), vec![1]);
        assert!(matches("", &grams, &key, 1).is_empty());
        assert!(matches("病院", &grams, &key, 1).is_empty());
    }

    /// Readings longer than [`MAX_QUERY`] are mended near the break, in romaji and kana, with
    /// Hepburn's open `n` read both ways.
    #[test]
    fn long_readings_are_mended_near_the_break() {
        let long = |s: &str| reading_key(s);
        let keys: Vec<String> = [
            "いりょうほうじんしゃだんあおばかいちよだのうしんけいげかびょういん",
            "いりょうほうじんしゃだんあおばかいちよだそうごうびょういん",
            "いっぱんざいだんほうじんしょうじんなかじまちゅうおうびょういん",
            "いっぱんざいだんほうじんせいざんにっぱちょうそうごうびょういん",
            "こうほくびょういん",
        ]
        .iter()
        .map(|k| long(k))
        .collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let grams = index_of(&refs);
        let coded = coded(&refs);
        let key = |d: u32| coded[d as usize].as_slice();
        let found = |q: &str| matches(q, &grams, &key, 1);
        // A letter dropped, a swap, a wrong vowel; early, in the middle, at the end.
        assert_eq!(found("iryouhoujnshadanaobakaichiyodanoushinkeigekabyouin"), vec![0]);
        assert_eq!(found("riyouhoujinshadanaobakaichiyodanoushinkeigekabyouin"), vec![0]);
        assert_eq!(found("iryouhoujinshadanaobakaichiyodasougoubyuoin"), vec![1]);
        assert_eq!(found("iryouhoujinshadanaobakaichiyodasougoubyouen"), vec![1]);
        // ん before な, written `nn` as Hepburn writes it, before and after the slip.
        assert_eq!(found("ippanzaidanhoujnshoujinnakajimachuuoubyouin"), vec![2]);
        assert_eq!(found("ippanzaidanhoujinseizannippachouougoubyouin"), vec![3]);
        // Kana: a swap meeting a long vowel, a wrong vowel, in a long reading.
        assert_eq!(found("こうほくょびういん"), vec![4]);
        assert_eq!(found("いりょうほうじんしゃだんあおばかいちよだのうしんけいげかびょうえん"), vec![0]);
        assert_eq!(found("いりょうほうじんしゃだんあおばかいちよだのしうんけいげかびょういん"), vec![0]);
        // Two slips are not one.
        assert!(found("iryouhoujnshadanaobakaichiyodanoushinkeigekabyouen").is_empty());
    }

    #[test]
    fn mending_pieces() {
        assert_eq!(join_key("たかは", "し"), "たかはし");
        assert_eq!(join_key("ちゆ", "うおう"), "ちゆお", "long vowels collapse against the key");
        assert_eq!(join_key("", "こうほく"), "こほく");
        let romaji = chars("tanabe");
        assert!(Script::Romaji.cut_at(&romaji, 2) && !Script::Romaji.cut_at(&romaji, 3));
        assert!(!Script::Romaji.cut_at(&chars("ohno"), 2), "oh leans back");
        assert!(!Script::Kana.cut_at(&chars("びょう"), 1) && Script::Kana.cut_at(&chars("びょう"), 2));
        assert_eq!(row_mates('か').collect::<String>(), "きくけこ");
        assert_eq!(row_mates('ゆ').collect::<String>(), "やよ");
        assert_eq!(row_mates('ん').count(), 0);
        let mends: Vec<String> =
            window_mends(Script::Romaji, &chars("tnabe"), 1, 1).iter().map(|m| m.iter().collect()).collect();
        assert!(mends.contains(&"tanabe".to_string()), "a letter put back");
        assert!(mends.contains(&"tanbe".to_string()) && mends.contains(&"tabe".to_string()));
        assert!(!mends.iter().any(|m| m == "tnabi"), "a vowel outside the window");
        let kana: Vec<String> =
            window_mends(Script::Kana, &chars("たねべ"), 1, 1).iter().map(|m| m.iter().collect()).collect();
        assert!(kana.contains(&"たなべ".to_string()) && kana.contains(&"たべね".to_string()));
        assert!(!kana.iter().any(|m| m.chars().count() > 3), "no kana put back");
    }

    #[test]
    fn search_helpers() {
        assert_eq!(last_true(0, 10, |n| n <= 7), 7);
        assert_eq!(last_true(0, 10, |_| true), 10);
        assert_eq!(last_true(0, 10, |n| n == 0), 0);
        let k = kana_code::key;
        assert_eq!(common_prefix(&k("たなべ"), &k("たなか")), 2);
        assert_eq!(common_prefix(&k("たか"), &k("たが")), 1);
        assert_eq!(common_prefix(b"", &k("た")), 0);
    }

    #[test]
    fn open_n_read_both_ways() {
        let s =
            |v: Vec<Vec<char>>| v.into_iter().map(|c| c.into_iter().collect::<String>()).collect::<Vec<_>>();
        assert_eq!(n_places(&chars("shinichi")), vec![(3, 4)]);
        assert_eq!(n_places(&chars("sannomiya")), vec![(2, 4)]);
        assert!(n_places(&chars("kanda")).is_empty() && n_places(&chars("nara")).is_empty());
        assert_eq!(n_readings(&chars("shinichi"), 0, 8)[0].1.iter().collect::<String>(), "shinnichi");
        assert!(n_readings(&chars("shinichi"), 4, 8).is_empty(), "outside the range");
        let both = s(n_spellings(&chars("kinenin"), &n_places(&chars("kinenin"))));
        assert_eq!(both, ["kinenin", "kinnenin", "kinennin", "kinnennin"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(q in "\\PC{0,24}") {
            let grams = {
                let mut g = Postings::default();
                g.freeze();
                g
            };
            let key = |_d: u32| b"".as_slice();
            let _ = matches(&fold(&q), &grams, &key, 1);
            let _ = romaji_stems(&fold(&q), None);
        }

        #[test]
        fn long_queries_never_panic(q in "[a-z'\\-]{0,200}|[ぁ-ゖー]{0,200}") {
            let keys = ["たなべいん", "いりようほじんしやだんやまだびよいん", "しんいち"];
            let grams = index_of(&keys);
            let coded = coded(&keys);
            let key = |d: u32| coded[d as usize].as_slice();
            let found = matches(&q, &grams, &key, 1);
            proptest::prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
