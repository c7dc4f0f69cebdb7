//! Building the index from institutions, and adding or replacing one (an import, a reading
//! correction): keys, posting entries, places and the code lists.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::domain::Institution;
use crate::search::kana_code;
use crate::search::normalize::{self, fold, reading_key};
use crate::search::postings::{Postings, bigram, digits4, start_gram, unigram};
use crate::search::{reading, romaji};

use super::column::{ALT_SEP, Column};
use super::{Doc, FIELD_SEP, InstitutionIndex, Place};

impl InstitutionIndex {
    /// Builds the index; document `i` is `institutions[i]` (best in [`index_order_key`] order).
    pub fn build(institutions: &[Institution]) -> InstitutionIndex {
        let mut index = InstitutionIndex {
            docs: Vec::with_capacity(institutions.len()),
            names: Column::default(),
            readings: Column::default(),
            phones: Column::default(),
            originals: Column::default(),
            places: Vec::new(),
            place_ids: HashMap::new(),
            name_grams: Postings::default(),
            reading_grams: Postings::default(),
            phone_grams: Postings::default(),
            place_docs: Postings::default(),
            by_code: Vec::new(),
            by_tail: Vec::new(),
            code_chars: Vec::new(),
            tail_chars: Vec::new(),
            ordered: 0,
            disordered: Vec::new(),
            recent: Mutex::new(VecDeque::new()),
        };
        for (i, inst) in institutions.iter().enumerate() {
            index.set(i as u32, inst);
        }
        for column in [&mut index.names, &mut index.readings, &mut index.phones, &mut index.originals] {
            column.shrink();
        }
        index.name_grams.freeze();
        index.reading_grams.freeze();
        index.phone_grams.freeze();
        index.place_docs.freeze();
        let mut by_code: Vec<u32> = (0..index.docs.len() as u32).collect();
        // Several rows with one code: the last one first, the live one (as `upsert` makes it).
        by_code
            .sort_by(|&a, &b| index.docs[a as usize].code.cmp(&index.docs[b as usize].code).then(b.cmp(&a)));
        let mut by_tail = by_code.clone();
        by_tail.sort_by(|&a, &b| index.docs[a as usize].code[3..].cmp(&index.docs[b as usize].code[3..]));
        index.code_chars = by_code.iter().map(|&d| index.docs[d as usize].name_chars).collect();
        index.tail_chars = by_tail.iter().map(|&d| index.docs[d as usize].name_chars).collect();
        index.by_code = by_code;
        index.by_tail = by_tail;
        let docs = &index.docs;
        index.ordered = (1..docs.len())
            .find(|&i| docs[i].name_chars < docs[i - 1].name_chars)
            .unwrap_or(docs.len()) as u32;
        index
    }

    /// Adds or replaces one institution (matched by code); returns its document number. Only
    /// that document's keys and posting entries change.
    pub fn upsert(&mut self, institution: &Institution) -> u32 {
        let code = code_bytes(institution);
        let doc = match self.doc_of(&code) {
            Some(doc) => doc,
            None => {
                let doc = self.docs.len() as u32;
                let i = self.by_code.partition_point(|&d| self.docs[d as usize].code < code);
                self.by_code.insert(i, doc);
                self.code_chars.insert(i, 0);
                let j = self.by_tail.partition_point(|&d| self.docs[d as usize].code[3..] < code[3..]);
                self.by_tail.insert(j, doc);
                self.tail_chars.insert(j, 0);
                doc
            }
        };
        let chars_before = self.docs.get(doc as usize).map(|d| d.name_chars);
        self.set(doc, institution);
        // The name (and its length) may have changed: so does its entry beside the code lists.
        let chars = self.docs[doc as usize].name_chars;
        if doc < self.ordered
            && chars_before != Some(chars)
            && let Err(i) = self.disordered.binary_search(&doc)
        {
            self.disordered.insert(i, doc);
        }
        if let Some(i) = self.code_slot(&self.by_code, doc, |c| &c[..]) {
            self.code_chars[i] = chars;
        }
        if let Some(j) = self.code_slot(&self.by_tail, doc, |c| &c[3..]) {
            self.tail_chars[j] = chars;
        }
        if let Ok(mut recent) = self.recent.lock() {
            recent.clear();
        }
        doc
    }

    /// Where `doc` stands in `sorted` (`by_code` or `by_tail`, sorted by `field` of the code).
    pub(super) fn code_slot(&self, sorted: &[u32], doc: u32, field: fn(&[u8; 10]) -> &[u8]) -> Option<usize> {
        let code = field(&self.docs[doc as usize].code);
        let i = sorted.partition_point(|&d| field(&self.docs[d as usize].code) < code);
        sorted[i..].iter().position(|&d| d == doc).map(|k| i + k)
    }

    /// Forgets the recent queries used for incremental narrowing (benches use it to repeat a
    /// typing sequence from the same state).
    pub fn forget_recent(&self) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.clear();
        }
    }

    pub(super) fn set(&mut self, doc: u32, inst: &Institution) {
        let code = code_bytes(inst);
        // Tokens keep their own folding, so the corporation's name (the token after the legal
        // prefix, ending in 会) can be skipped when deciding what a name "starts" with.
        let mut name_key = String::new();
        let mut token_starts = Vec::new();
        for token in inst.name.split_whitespace() {
            token_starts.push(name_key.len());
            name_key.push_str(&fold(token));
        }
        let legal_start = normalize::legal_prefix_end(&name_key);
        let mut facility_start = legal_start;
        if let Some(i) = token_starts.iter().position(|&s| s >= legal_start)
            && let Some(&next) = token_starts.get(i + 1)
        {
            let token = &name_key[token_starts[i]..next];
            if token_starts[i] == legal_start && (token.ends_with('会') || token.ends_with('団')) {
                facility_start = next;
            }
        }
        let mut readings: Vec<String> = Vec::new();
        if let Some(kana) = inst.name_kana.as_deref() {
            readings.push(reading_key(&fold(kana)));
        }
        if inst.name_kana.is_none() || inst.kana_inferred {
            for r in reading::infer_readings(&inst.name) {
                readings.push(reading_key(&fold(&r)));
            }
            // The facility's own name (last word after 医療法人薫風会 ...) read alone, so
            // たなべいいん is a reading prefix of 医療法人薫風会 田辺医院.
            if let Some(last) = inst.name.split_whitespace().last().filter(|l| *l != inst.name.trim()) {
                for r in reading::infer_readings(last).into_iter().take(2) {
                    readings.push(reading_key(&fold(&r)));
                }
            }
        }
        readings.retain(|r| !r.is_empty());
        readings.dedup();
        // Hepburn writes ん before a vowel or y as a bare n (じんあおば → jinaobakai), which
        // reads back as じなおば: such readings are also indexed as that spelling reads.
        for i in 0..readings.len() {
            if let Some(alt) = single_n_spelling(&readings[i])
                && !readings.contains(&alt)
            {
                readings.push(alt);
            }
        }
        let reading_bytes = join_alternatives(&readings);
        let phone_digits: String = inst
            .phone
            .as_deref()
            .map(|p| fold(p).chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_default();

        let place = self.place_of(&inst.prefecture, &inst.city);
        for start in [0, legal_start, facility_start] {
            if let Some(c) = name_key.get(start..).and_then(|k| k.chars().next()) {
                self.name_grams.add(start_gram(c), doc);
            }
        }
        let mut prev: Option<char> = None;
        for c in name_key.chars() {
            self.name_grams.add(unigram(c), doc);
            if let Some(p) = prev {
                self.name_grams.add(bigram(p, c), doc);
            }
            prev = Some(c);
        }
        for r in &readings {
            let mut prev: Option<char> = None;
            for c in r.chars() {
                if prev.is_none() {
                    self.reading_grams.add(start_gram(c), doc);
                }
                self.reading_grams.add(unigram(c), doc);
                if let Some(p) = prev {
                    self.reading_grams.add(bigram(p, c), doc);
                }
                prev = Some(c);
            }
        }
        self.place_docs.add(u64::from(place), doc);
        for w in phone_digits.as_bytes().windows(4) {
            self.phone_grams.add(digits4(w), doc);
        }
        let entry = Doc {
            code,
            name_chars: inst.name.chars().count().min(u16::MAX as usize) as u16,
            legal_start: legal_start.min(u16::MAX as usize) as u16,
            facility_start: facility_start.min(u16::MAX as usize) as u16,
            place,
            reading_firsts: [0, 1].map(|i| {
                readings.get(i).and_then(|r| r.chars().next()).map(kana_code::key_byte).unwrap_or(0)
            }),
        };
        let clean = |s: &str| s.replace([FIELD_SEP, '\0'], "");
        // The reading in the kana code (a third of its UTF-8); name and phone as they are.
        let mut original = clean(&inst.name).into_bytes();
        original.push(FIELD_SEP as u8);
        kana_code::text_into(&clean(inst.name_kana.as_deref().unwrap_or("")), &mut original);
        original.push(FIELD_SEP as u8);
        original.extend_from_slice(clean(inst.phone.as_deref().unwrap_or("")).as_bytes());
        self.originals.set(doc, &original);
        self.names.set(doc, name_key.as_bytes());
        self.readings.set(doc, &reading_bytes);
        self.phones.set(doc, phone_digits.as_bytes());
        if (doc as usize) < self.docs.len() {
            self.docs[doc as usize] = entry;
        } else {
            self.docs.push(entry);
        }
    }

    /// The place number of (prefecture, city), interned on first sight.
    pub(super) fn place_of(&mut self, prefecture: &str, city: &str) -> u32 {
        let id_key = place_id_key(prefecture, city);
        if let Some(&id) = self.place_ids.get(&id_key) {
            return id;
        }
        let id = self.places.len() as u32;
        let key = fold(&format!("{prefecture}{city}"));
        self.places.push(Place { key, prefecture: prefecture.to_string(), city: city.to_string() });
        self.place_ids.insert(id_key, id);
        id
    }
}

/// The key of (prefecture, city) in `InstitutionIndex::place_ids`.
pub(super) fn place_id_key(prefecture: &str, city: &str) -> String {
    format!("{prefecture}{FIELD_SEP}{city}")
}

/// The reading key `key` as its Hepburn romaji with ん before a vowel or y written as a bare
/// `n` reads back (いりょうほうじんあおば → iryouhoujinaobakai → いりょうほうじなおば), when
/// that differs from `key`.
pub(super) fn single_n_spelling(key: &str) -> Option<String> {
    let chars: Vec<char> = key.chars().collect();
    let ambiguous = chars.windows(2).any(|w| w[0] == 'ん' && "あいうえおやゆよ".contains(w[1]));
    if !ambiguous {
        return None;
    }
    let mut read = romaji::to_kana(&romaji::to_romaji(key))?;
    // A final ん is a bare n too, which romaji leaves pending.
    match read.rest.as_str() {
        "" => {}
        "n" => read.kana.push('ん'),
        _ => return None,
    }
    let alt = reading_key(&read.kana);
    (alt != key && !alt.is_empty()).then_some(alt)
}

pub(super) fn code_bytes(inst: &Institution) -> [u8; 10] {
    let mut code = [b'0'; 10];
    for (slot, b) in code.iter_mut().zip(inst.code.as_str().bytes()) {
        *slot = b;
    }
    code
}

fn join_alternatives(keys: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(ALT_SEP);
        }
        kana_code::key_into(k, &mut out);
    }
    out
}
