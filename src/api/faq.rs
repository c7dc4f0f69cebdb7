//! Wire types of the FAQ's bulk import and of the suggestions shown during a call.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FaqEntry, FaqHit};

/// `POST /v1/faq/import` (supervisors): entries to add or replace by id, written in one
/// transaction (all or nothing) with one audit event per entry that changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaqImport {
    /// The entries to add or replace.
    pub entries: Vec<FaqEntry>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FaqImportResult {
    /// Entries whose id was new.
    pub inserted: u64,
    /// Entries that replaced one with the same id (unchanged ones included).
    pub updated: u64,
}

/// `GET /v1/faq/suggest?code=&note=`: the entries a caller is most likely to ask about, from
/// the institution's state and the words of the call's note.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaqSuggestions {
    /// The question the server put together from the context (for the record and for tuning).
    pub query: String,
    /// Best first, at most three.
    pub results: Vec<FaqHit>,
    /// As `FaqResponse::confident`: when false, the console marks the suggestions as weak.
    pub confident: bool,
}
