//! The first way, any length (`iryouhoujnshadan...byouin`): the slip looked for near where the
//! query stops being the start of some reading (see the module doc of `typo`).

use std::collections::HashSet;

use crate::search::kana_code;
use crate::search::normalize::reading_key;
use crate::search::postings::{bigram, start_gram};
use crate::search::romaji;
use crate::search::tuning::typo::{
    MAX_CHECKED, MAX_GROUPS, MAX_LIST, MAX_N_READINGS, MAX_TAIL_NS, MAX_WINDOWS, MAX_WINDOWS_COMMON,
    MIN_KANA, START_LIST, WINDOW_AHEAD, WINDOW_BACK,
};

use super::{LETTERS, Readings, VOWELS, alternatives, rarest};

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
pub(super) fn row_mates(c: char) -> impl Iterator<Item = char> {
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
    pub(super) fn near_break(&self, script: Script, letters: &[char]) -> Vec<u32> {
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
pub(super) fn last_true(lo: usize, hi: usize, ok: impl Fn(usize) -> bool) -> usize {
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
pub(super) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

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
