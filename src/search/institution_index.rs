//! The institution lookup index. (Placeholder: plain substring match until the search issue.)

use crate::domain::Institution;

use super::normalize::fold;

/// Why a document matched, best first in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    ExactCode,
    ExactPhone,
    CodePrefix,
    WholeName,
    NamePrefix,
    NameSubstring,
    ReadingPrefix,
    ReadingSubstring,
    Fuzzy,
}

impl MatchKind {
    /// The wire name (`exact_code`, `name_prefix`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::ExactCode => "exact_code",
            MatchKind::ExactPhone => "exact_phone",
            MatchKind::CodePrefix => "code_prefix",
            MatchKind::WholeName => "whole_name",
            MatchKind::NamePrefix => "name_prefix",
            MatchKind::NameSubstring => "name_substring",
            MatchKind::ReadingPrefix => "reading_prefix",
            MatchKind::ReadingSubstring => "reading_substring",
            MatchKind::Fuzzy => "fuzzy",
        }
    }
}

/// One ranked hit. `doc` is the position of the institution in the slice the index was built
/// from (or last upserted); `highlights` are (field, start, end) in characters of the original
/// field text, field one of `name`, `name_kana`, `code`, `phone`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub doc: u32,
    pub kind: MatchKind,
    pub score: f64,
    pub highlights: Vec<(&'static str, usize, usize)>,
}

/// The in-memory lookup over every institution.
pub struct InstitutionIndex {
    codes: Vec<String>,
    names: Vec<String>,
}

impl InstitutionIndex {
    /// Builds the index; document `i` is `institutions[i]`.
    pub fn build(institutions: &[Institution]) -> InstitutionIndex {
        InstitutionIndex {
            codes: institutions.iter().map(|i| i.code.as_str().to_string()).collect(),
            names: institutions.iter().map(|i| fold(&i.name)).collect(),
        }
    }

    /// Adds or replaces one institution (matched by code); returns its document number.
    pub fn upsert(&mut self, institution: &Institution) -> u32 {
        let name = fold(&institution.name);
        if let Some(pos) = self.codes.iter().position(|c| c == institution.code.as_str()) {
            self.names[pos] = name;
            return pos as u32;
        }
        self.codes.push(institution.code.as_str().to_string());
        self.names.push(name);
        (self.codes.len() - 1) as u32
    }

    /// Ranked hits for `query`, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = fold(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<SearchHit> = Vec::new();
        for (i, (code, name)) in self.codes.iter().zip(&self.names).enumerate() {
            let kind = if *code == q {
                MatchKind::ExactCode
            } else if code.starts_with(&q) {
                MatchKind::CodePrefix
            } else if name.contains(&q) {
                MatchKind::NameSubstring
            } else {
                continue;
            };
            hits.push(SearchHit { doc: i as u32, kind, score: 1.0, highlights: Vec::new() });
        }
        hits.sort_by_key(|h| (h.kind, self.names[h.doc as usize].chars().count()));
        hits.truncate(limit);
        hits
    }
}
