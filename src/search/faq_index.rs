//! The FAQ index: BM25 over the dictionary-free tokens of `faq_tokens`, with weighted fields,
//! keywords as strong terms, synonym groups and pseudo-relevance feedback.
//!
//! Fields are merged BM25F-style: a term's frequency in an entry is the weighted sum of its
//! frequencies in the question, answer, category and keywords, and so is the entry's length.
//! Pseudo-relevance feedback then adds the strongest terms of the best few entries to the query
//! at a low weight and scores again. Every knob lives in `FaqParams`; the defaults are the ones
//! `crate::bench::relevance_faq` measured best on the tuning half of our relevance set.

use std::collections::HashMap;

use crate::api::{FaqEntry, FaqHit};

use super::faq_answer_types::{self, ANSWER_TYPE};
use super::faq_concepts::{self, CONCEPT};
use super::faq_readings::{self, READING};
use super::faq_tokens::{Synonyms, TokenOptions, normalize, tokenize_normalized};

/// The tunable parameters of FAQ ranking, kept together so the relevance bench can try them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaqParams {
    /// BM25 term-frequency saturation.
    pub k1: f64,
    /// BM25 length normalisation (0 = none, 1 = full): of the whole entry, or of the answer
    /// with `per_field_norm`.
    pub b: f64,
    /// Length normalisation of the short fields (question, category, keywords) with
    /// `per_field_norm`.
    pub b_short: f64,
    /// BM25F proper: normalise each field by its own average length before weighting, so a
    /// long answer does not dilute a question that matches.
    pub per_field_norm: bool,
    /// Weight of a term in the question (callers ask questions; the question counts double).
    pub w_question: f64,
    /// Weight of a term in the answer.
    pub w_answer: f64,
    /// Weight of a term in the category.
    pub w_category: f64,
    /// Weight of a term in the keywords (chosen by the author: strong terms).
    pub w_keywords: f64,
    /// Entries used for pseudo-relevance feedback (0 turns it off).
    pub prf_docs: usize,
    /// Terms added by pseudo-relevance feedback.
    pub prf_terms: usize,
    /// Weight of the added terms against the query's own (which weigh 1).
    pub prf_weight: f64,
    /// Weight of hiragana 2-grams, in entries and queries alike (grammar more than content).
    pub w_hiragana: f64,
    /// Weight of a single kanji (a matching 2-gram already counts its two characters).
    pub w_kanji_unigram: f64,
    /// Weight of a number with its counter (3台, 8月): the number a caller asks about.
    pub w_counter: f64,
    /// Reading terms (`faq_readings`): hiragana in a question meets kanji in an entry.
    pub readings: bool,
    /// Weight of a reading 3-gram.
    pub w_reading: f64,
    /// Answer-type terms (`faq_answer_types`): いくら meets an answer stating a sum.
    pub answer_types: bool,
    /// Weight of an answer-type term.
    pub w_answer_type: f64,
    /// Which token families to emit.
    pub tokens: TokenOptions,
    /// Whether the synonym groups apply.
    pub synonyms: bool,
    /// Concept terms (`faq_concepts`): words of one synonym group of the shipped dictionary
    /// meet, added to the lexical terms ...
    pub concepts: bool,
    /// ... at this weight (low: shared characters still decide; a shared meaning adds).
    pub w_concept: f64,
    /// The top answer is confident when it covers at least this share of the question's
    /// idf-weighted terms (see `FaqIndex::rank`) ...
    pub confident_at: f64,
    /// ... and its score leads the second's by at least this share of its own.
    pub confident_margin: f64,
}

impl Default for FaqParams {
    fn default() -> Self {
        FaqParams {
            k1: 0.8,
            b: 0.75,
            b_short: 0.3,
            per_field_norm: true,
            w_question: 2.0,
            w_answer: 0.5,
            w_category: 0.5,
            w_keywords: 3.0,
            prf_docs: 0,
            prf_terms: 10,
            prf_weight: 0.3,
            w_hiragana: 0.3,
            w_kanji_unigram: 0.6,
            w_counter: 1.0,
            readings: true,
            w_reading: 0.3,
            answer_types: true,
            w_answer_type: 0.5,
            tokens: TokenOptions::default(),
            synonyms: true,
            concepts: true,
            w_concept: 0.3,
            confident_at: 0.4,
            confident_margin: 0.1,
        }
    }
}

/// Ranked answers to one question, and whether the first can be given without a person.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqRanking {
    /// (entry, score), best first.
    pub hits: Vec<(usize, f64)>,
    /// Share (0..=1) of the question's idf-weighted terms that the first entry contains; a
    /// term no entry has counts in full against it, so an off-topic question scores low.
    pub coverage: f64,
    /// How far the first entry's score leads the second's, as a share of the first's (1 when
    /// only one entry matched).
    pub margin: f64,
    /// `coverage >= confident_at` and `margin >= confident_margin` (`FaqParams`): the chatbot
    /// may answer instead of handing over.
    pub confident: bool,
}

/// How much one occurrence of `token` counts: hiragana 2-grams count `w_hiragana`, single
/// kanji `w_kanji_unigram`, a number with its counter `w_counter`, reading and answer-type
/// terms their weights, everything else 1.
fn token_weight(token: &str, params: &FaqParams) -> f64 {
    let mut chars = token.chars();
    match (chars.next(), chars.next()) {
        (Some(READING), _) => params.w_reading,
        (Some(ANSWER_TYPE), _) => params.w_answer_type,
        (Some(CONCEPT), _) => params.w_concept,
        (Some('ぁ'..='ゖ'), _) => params.w_hiragana,
        (Some(c), None) if !c.is_ascii() => params.w_kanji_unigram,
        (Some(c), Some(_)) if c.is_ascii_digit() && !token.ends_with(|e: char| e.is_ascii()) => {
            params.w_counter
        }
        _ => 1.0,
    }
}

/// An entry's terms in one field (0 question, 1 answer, 2 category, 3 keywords).
fn field_terms(
    field: usize,
    text: &str,
    synonyms: &Synonyms,
    params: &FaqParams,
    readings: &mut faq_readings::ReadingCache,
) -> Vec<String> {
    // Normalised once: the tokens, readings and concepts all read the same text.
    let normalized = normalize(text);
    let mut terms = Vec::new();
    tokenize_normalized(&synonyms.apply(&normalized), params.tokens, &mut terms);
    if params.readings && field <= 1 {
        readings.entry_terms(&normalized, &mut terms);
    }
    if params.answer_types && field == 1 {
        terms.extend(faq_answer_types::stated(text).into_iter().map(|t| t.term()));
    }
    if params.concepts && field <= 2 {
        faq_concepts::SHIPPED.entry_terms(&normalized, &mut terms);
    }
    terms
}

/// A question's terms.
fn question_terms(query: &str, synonyms: &Synonyms, params: &FaqParams) -> Vec<String> {
    let normalized = normalize(query);
    let mut terms = Vec::new();
    tokenize_normalized(&synonyms.apply(&normalized), params.tokens, &mut terms);
    if params.readings {
        faq_readings::query_reading_terms(&normalized, &mut terms);
    }
    if params.answer_types {
        terms.extend(faq_answer_types::asked(query).into_iter().map(|t| t.term()));
    }
    if params.concepts {
        faq_concepts::SHIPPED.question_terms(&normalized, &mut terms);
    }
    terms
}

/// One entry's terms per field (question, answer, category, keywords) as (term id, summed
/// token weight), and each field's weighted length. Tokenising (normalisation, readings) is the
/// costly part of indexing, so these are kept: an edit or an import re-tokenises only the
/// entries that changed, and the cheap second pass (`FaqIndex::derive`) runs once.
#[derive(Debug, Clone, Default)]
struct EntryTerms {
    fields: [Vec<(u32, f32)>; 4],
    lens: [f64; 4],
}

/// Ranked FAQ search over question, answer, category and keywords.
pub struct FaqIndex {
    params: FaqParams,
    synonyms: Synonyms,
    /// Term → id. Only grows between full builds: a term no entry has any more keeps its id
    /// with an empty posting list (and counts as unknown in a question).
    vocab: HashMap<String, u32>,
    /// Entry → its tokenised fields (pass 1), kept for incremental updates.
    entries: Vec<EntryTerms>,
    /// Term id → (entry, weighted term frequency).
    postings: Vec<Vec<(u32, f32)>>,
    /// Entry → (term id, weighted term frequency), for feedback.
    doc_terms: Vec<Vec<(u32, f32)>>,
    /// Entry → weighted length.
    doc_len: Vec<f64>,
    avg_len: f64,
}

impl FaqIndex {
    /// Builds the index with the default parameters; document `i` is `entries[i]`.
    pub fn build(entries: &[FaqEntry]) -> FaqIndex {
        FaqIndex::build_with(entries, FaqParams::default())
    }

    /// Builds the index with explicit parameters (the relevance bench tries several).
    pub fn build_with(entries: &[FaqEntry], params: FaqParams) -> FaqIndex {
        let synonyms = if params.synonyms { Synonyms::default() } else { Synonyms::new(&[]) };
        let mut index = FaqIndex {
            params,
            synonyms,
            vocab: HashMap::new(),
            entries: Vec::with_capacity(entries.len()),
            postings: Vec::new(),
            doc_terms: Vec::new(),
            doc_len: Vec::new(),
            avg_len: 0.0,
        };
        let mut readings = faq_readings::ReadingCache::default();
        for entry in entries {
            let terms = index.entry_terms(entry, &mut readings);
            index.entries.push(terms);
        }
        index.derive();
        index
    }

    /// Makes the index hold `new` (document `i` is `new[i]`) when it held `old`: entries equal
    /// in both (same id and content) keep their terms, the others are tokenised again, and the
    /// corpus statistics are recomputed once. Returns how many entries were tokenised. When
    /// nothing changed the index is left as it is; when the vocabulary has grown to twice the
    /// terms in use, it is rebuilt from scratch instead, so dead terms do not pile up.
    pub fn update(&mut self, old: &[FaqEntry], new: &[FaqEntry]) -> usize {
        if old == new && self.entries.len() == new.len() {
            return 0;
        }
        let mut previous: HashMap<&str, usize> = HashMap::with_capacity(old.len());
        for (i, e) in old.iter().enumerate() {
            previous.insert(e.id.as_str(), i);
        }
        let mut kept = std::mem::take(&mut self.entries);
        let mut readings = faq_readings::ReadingCache::default();
        let mut tokenised = 0;
        let mut entries = Vec::with_capacity(new.len());
        for e in new {
            match previous.get(e.id.as_str()) {
                Some(&i) if old[i] == *e && i < kept.len() => entries.push(std::mem::take(&mut kept[i])),
                _ => {
                    tokenised += 1;
                    entries.push(self.entry_terms(e, &mut readings));
                }
            }
        }
        self.entries = entries;
        self.derive();
        let live = self.postings.iter().filter(|p| !p.is_empty()).count();
        if self.vocab.len() > 2 * live + 1_000 {
            *self = FaqIndex::build_with(new, self.params);
            return new.len();
        }
        tokenised
    }

    /// Pass 1 for one entry: its tokens per field, with their weights, summed per term.
    fn entry_terms(&mut self, entry: &FaqEntry, readings: &mut faq_readings::ReadingCache) -> EntryTerms {
        let params = self.params;
        let keywords = entry.keywords.join(" ");
        let texts = [entry.question.as_str(), entry.answer.as_str(), entry.category.as_str(), &keywords];
        let mut out = EntryTerms::default();
        for (f, text) in texts.into_iter().enumerate() {
            let mut summed: HashMap<u32, f64> = HashMap::new();
            let mut order: Vec<u32> = Vec::new();
            for token in field_terms(f, text, &self.synonyms, &params, readings) {
                let w = token_weight(&token, &params);
                let id = self.term_id(token);
                out.lens[f] += w;
                let slot = summed.entry(id).or_insert_with(|| {
                    order.push(id);
                    0.0
                });
                *slot += w;
            }
            out.fields[f] = order.into_iter().map(|id| (id, summed[&id] as f32)).collect();
        }
        out
    }

    /// Pass 2: each entry's weighted term frequencies (per-field length-normalised when
    /// `per_field_norm`, else normalised later on the entry's whole weighted length), the
    /// posting lists and the average length, from the entries' terms.
    fn derive(&mut self) {
        let params = self.params;
        let n_docs = self.entries.len();
        let n = n_docs.max(1) as f64;
        let mut field_len_sum = [0.0f64; 4];
        for e in &self.entries {
            for (f, len) in e.lens.iter().enumerate() {
                field_len_sum[f] += len;
            }
        }
        let field_avg = field_len_sum.map(|sum| (sum / n).max(1.0));
        let weights = [params.w_question, params.w_answer, params.w_category, params.w_keywords];
        let field_b = [params.b_short, params.b, params.b_short, params.b_short];
        for p in &mut self.postings {
            p.clear();
        }
        self.doc_terms = Vec::with_capacity(n_docs);
        self.doc_len = Vec::with_capacity(n_docs);
        for (doc, e) in self.entries.iter().enumerate() {
            let mut tf: HashMap<u32, f64> = HashMap::new();
            let mut len = 0.0;
            for (f, toks) in e.fields.iter().enumerate() {
                if weights[f] <= 0.0 {
                    continue;
                }
                let flen = e.lens[f];
                let norm = if params.per_field_norm {
                    1.0 - field_b[f] + field_b[f] * flen / field_avg[f]
                } else {
                    1.0
                };
                for &(id, w) in toks {
                    *tf.entry(id).or_insert(0.0) += weights[f] * f64::from(w) / norm;
                }
                len += weights[f] * flen;
            }
            let mut terms: Vec<(u32, f32)> = tf.into_iter().map(|(t, f)| (t, f as f32)).collect();
            terms.sort_unstable_by_key(|&(t, _)| t);
            for &(t, f) in &terms {
                self.postings[t as usize].push((doc as u32, f));
            }
            self.doc_terms.push(terms);
            self.doc_len.push(len);
        }
        let total: f64 = self.doc_len.iter().sum();
        self.avg_len = if n_docs == 0 { 1.0 } else { (total / n_docs as f64).max(1.0) };
    }

    fn term_id(&mut self, token: String) -> u32 {
        if let Some(&id) = self.vocab.get(&token) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.postings.push(Vec::new());
        self.vocab.insert(token, id);
        id
    }

    /// Number of entries indexed.
    pub fn len(&self) -> usize {
        self.doc_len.len()
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.doc_len.is_empty()
    }

    fn idf(&self, term: u32) -> f64 {
        let n = self.len() as f64;
        let df = self.postings[term as usize].len() as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The query's known terms with their weights (repeated tokens count once more each), and
    /// the summed weight of its tokens no entry has.
    fn query_terms(&self, query: &str) -> (HashMap<u32, f64>, f64) {
        let mut q: HashMap<u32, f64> = HashMap::new();
        let mut unknown = 0.0;
        for token in question_terms(query, &self.synonyms, &self.params) {
            let w = token_weight(&token, &self.params);
            match self.vocab.get(&token) {
                Some(&id) if !self.postings[id as usize].is_empty() => *q.entry(id).or_insert(0.0) += w,
                _ => unknown += w,
            }
        }
        (q, unknown)
    }

    /// The idf of a term no entry has.
    fn unseen_idf(&self) -> f64 {
        let n = self.len() as f64;
        (1.0 + (n + 0.5) / 0.5).ln()
    }

    /// Share of the query's idf-weighted terms that entry `doc` contains.
    fn coverage(&self, query: &HashMap<u32, f64>, unknown: f64, doc: usize) -> f64 {
        let terms = &self.doc_terms[doc];
        let (mut hit, mut total) = (0.0, unknown * self.unseen_idf());
        for (&term, &qw) in query {
            let w = qw * self.idf(term);
            total += w;
            if terms.binary_search_by_key(&term, |&(t, _)| t).is_ok() {
                hit += w;
            }
        }
        if total > 0.0 { hit / total } else { 0.0 }
    }

    /// BM25 score of every entry for weighted query terms; entries scoring 0 are left out.
    fn score(&self, query: &HashMap<u32, f64>, limit: usize) -> Vec<(usize, f64)> {
        let FaqParams { k1, b, .. } = self.params;
        let mut scores = vec![0.0f64; self.len()];
        for (&term, &qw) in query {
            let idf = self.idf(term);
            for &(doc, tf) in &self.postings[term as usize] {
                let tf = f64::from(tf);
                let norm = if self.params.per_field_norm {
                    k1
                } else {
                    k1 * (1.0 - b + b * self.doc_len[doc as usize] / self.avg_len)
                };
                scores[doc as usize] += qw * idf * tf * (k1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<(usize, f64)> = scores.into_iter().enumerate().filter(|&(_, s)| s > 0.0).collect();
        let best_first = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, best_first);
            hits.truncate(limit);
        }
        hits.sort_by(best_first);
        hits
    }

    /// Adds to `query` the strongest terms of the best entries (pseudo-relevance feedback).
    fn expand(&self, query: &mut HashMap<u32, f64>, first: &[(usize, f64)]) {
        let p = self.params;
        if p.prf_docs == 0 || p.prf_terms == 0 || p.prf_weight <= 0.0 || first.is_empty() {
            return;
        }
        let mut weight: HashMap<u32, f64> = HashMap::new();
        for &(doc, _) in first.iter().take(p.prf_docs) {
            let len = self.doc_len[doc].max(1.0);
            for &(term, tf) in &self.doc_terms[doc] {
                if !query.contains_key(&term) {
                    *weight.entry(term).or_insert(0.0) += f64::from(tf) / len * self.idf(term);
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = weight.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(p.prf_terms);
        let Some(&(_, top)) = ranked.first() else { return };
        for (term, w) in ranked {
            query.insert(term, p.prf_weight * w / top);
        }
    }

    /// (document, score) pairs, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(usize, f64)> {
        self.rank(query, limit).hits
    }

    /// The best `limit` entries for `query`, and whether the first is a confident answer.
    pub fn rank(&self, query: &str, limit: usize) -> FaqRanking {
        let none = FaqRanking { hits: Vec::new(), coverage: 0.0, margin: 0.0, confident: false };
        if limit == 0 || self.is_empty() {
            return none;
        }
        let (mut terms, unknown) = self.query_terms(query);
        if terms.is_empty() {
            return none;
        }
        let original = terms.clone();
        let feedback = self.params.prf_docs > 0;
        let wanted = limit.max(2);
        let mut hits = self.score(&terms, if feedback { wanted.max(self.params.prf_docs) } else { wanted });
        if feedback {
            self.expand(&mut terms, &hits);
            hits = self.score(&terms, wanted);
        }
        let coverage = hits.first().map_or(0.0, |&(doc, _)| self.coverage(&original, unknown, doc));
        let margin = match hits.as_slice() {
            [(_, first), (_, second), ..] if *first > 0.0 => (first - second) / first,
            [_] => 1.0,
            _ => 0.0,
        };
        hits.truncate(limit);
        let p = &self.params;
        FaqRanking {
            hits,
            coverage,
            margin,
            confident: coverage >= p.confident_at && margin >= p.confident_margin,
        }
    }
}

/// The FAQ entries and their index (document `i` is `entries[i]`): what the server answers
/// `GET /v1/faq` from.
pub struct FaqCorpus {
    /// Every entry, in index order.
    pub entries: Vec<FaqEntry>,
    /// The index over `entries`.
    pub index: FaqIndex,
}

impl FaqCorpus {
    /// Indexes `entries`.
    pub fn build(entries: Vec<FaqEntry>) -> FaqCorpus {
        let index = FaqIndex::build(&entries);
        FaqCorpus { entries, index }
    }

    /// Makes the corpus hold `entries` (the store's, by id), tokenising only the entries that
    /// changed; returns how many were. An edit of one entry, or the same import seen again
    /// from another server's notification, costs one entry or none, not a rebuild.
    pub fn update(&mut self, entries: Vec<FaqEntry>) -> usize {
        let tokenised = self.index.update(&self.entries, &entries);
        self.entries = entries;
        tokenised
    }

    /// The best `limit` entries for `query` at a call, from the call's `note` and the question
    /// words of the institution's `context` (see [`super::faq_suggest`]).
    pub fn suggest(&self, note: &str, context: &str, limit: usize) -> (Vec<FaqHit>, bool) {
        let ranking = super::faq_suggest::suggest(&self.index, note, context, limit);
        let hits = ranking
            .hits
            .into_iter()
            .filter_map(|(doc, score)| self.entries.get(doc).map(|e| FaqHit { entry: e.clone(), score }))
            .collect();
        (hits, ranking.confident)
    }

    /// The best `limit` entries for `query` with their scores, and whether the first answers it
    /// confidently (see [`FaqRanking`]).
    pub fn search(&self, query: &str, limit: usize) -> (Vec<FaqHit>, bool) {
        let ranking = self.index.rank(query, limit);
        let hits = ranking
            .hits
            .into_iter()
            .filter_map(|(doc, score)| self.entries.get(doc).map(|e| FaqHit { entry: e.clone(), score }))
            .collect();
        (hits, ranking.confident)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, q: &str, a: &str, kw: &[&str]) -> FaqEntry {
        FaqEntry {
            id: id.into(),
            question: q.into(),
            answer: a.into(),
            category: "テスト".into(),
            keywords: kw.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn sample() -> Vec<FaqEntry> {
        vec![
            entry(
                "reader",
                "顔認証付きカードリーダーは何台まで無償ですか",
                "病院は3台まで、診療所と薬局は1台まで無償で提供されます。",
                &["無償提供"],
            ),
            entry("deadline", "機種未定の期限はいつですか", "2021年8月1日までに機種を選んでください。", &[]),
            entry("call", "コールセンターの電話番号は", "0800-0804583（通話無料）です。", &["問い合わせ"]),
            entry("tax", "補助額に消費税は含まれますか", "上限額は消費税分を含みます。", &[]),
        ]
    }

    fn top(index: &FaqIndex, q: &str) -> Option<usize> {
        index.search(q, 5).first().map(|h| h.0)
    }

    #[test]
    fn finds_by_katakana_variants() {
        let index = FaqIndex::build(&sample());
        assert_eq!(top(&index, "ｶｰﾄﾞﾘｰﾀﾞ 何台"), Some(0));
        assert_eq!(top(&index, "読み取り機はいくつもらえる"), Some(0));
    }

    #[test]
    fn synonyms_and_numbers() {
        let index = FaqIndex::build(&sample());
        assert_eq!(top(&index, "機種がまだ決まっていない"), Some(1));
        assert_eq!(top(&index, "08000804583"), Some(2));
        assert_eq!(top(&index, "税込みですか"), Some(3));
    }

    /// An update ranks exactly as a fresh build over the same entries, and re-tokenises only
    /// what changed.
    #[test]
    fn update_matches_a_fresh_build() {
        let old = sample();
        let mut new = old.clone();
        new[1].answer = "2021年8月1日（日）までに機種を選定してください。期限後は取消です。".into();
        new.remove(3);
        new.push(entry("window", "申込の受付時間は", "平日9時から17時まで受け付けます。", &["受付時間"]));
        let mut index = FaqIndex::build(&old);
        assert_eq!(index.update(&old, &new), 2, "one changed, one new");
        let fresh = FaqIndex::build(&new);
        for q in ["機種未定 期限", "受付時間", "税込みですか", "カードリーダー 何台", "取消"]
        {
            // Scores are sums over a hash map's order: equal up to the last bits.
            let (a, b) = (index.rank(q, 5), fresh.rank(q, 5));
            assert_eq!(
                a.hits.iter().map(|h| h.0).collect::<Vec<_>>(),
                b.hits.iter().map(|h| h.0).collect::<Vec<_>>(),
                "{q}"
            );
            for (x, y) in a.hits.iter().zip(&b.hits) {
                assert!((x.1 - y.1).abs() < 1e-9, "{q}: {x:?} vs {y:?}");
            }
            assert_eq!(a.confident, b.confident, "{q}");
        }
        assert_eq!(index.update(&new, &new), 0, "nothing changed");
        assert!(index.search("消費税", 5).is_empty(), "a removed entry's terms are gone");
    }

    #[test]
    fn best_first_and_limited() {
        let index = FaqIndex::build(&sample());
        let hits = index.search("カードリーダー 機種未定 期限", 2);
        assert_eq!(hits.len(), 2);
        assert!(hits[0].1 >= hits[1].1);
        assert!(index.search("", 5).is_empty());
        assert!(index.search("カードリーダー", 0).is_empty());
        assert!(index.search("zzzz", 5).is_empty());
        assert!(FaqIndex::build(&[]).search("カード", 5).is_empty());
    }
}
