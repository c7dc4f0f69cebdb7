//! The figures behind `madoguchi bench`: printed measurements, not timed tests.
//!
//! - `search`: per-keystroke lookup latency against a memmem floor and fzf.
//! - `relevance_institutions` / `relevance_faq`: recall@1/@5 (@10) on our own test sets.
//! - `relevance_kana_drop`: one kana dropped from a name as said (top 5).
//! - `relevance_places`: the caller's town typed every way with the name's first part (top 1 / 5).
//! - `relevance_readings` / `relevance_typos`: readings inferred for real hospitals, and slips
//!   of the keyboard over readings held exactly (top 5, tuning and held-out halves).
//! - `faq_scale`: the FAQ at 1,786 and 20,000 entries: import, edit, index, query, suggestion.
//! - `load`: lookups/s and changes/s against a running server from a second process.
//! - `campaign`: 架電キャンペーン: create, 次へ alone and by 50 at once, the progress.
//! - `ssh` (+ `ssh_server`): real SSH sessions on loopback against `serve --ssh-listen`.

pub(crate) mod campaign;
pub(crate) mod faq_scale;
pub(crate) mod load;
pub(crate) mod query_mix;
pub mod relevance_faq;
pub mod relevance_institutions;
pub mod relevance_kana_drop;
pub(crate) mod relevance_meaning;
pub mod relevance_places;
pub mod relevance_readings;
pub(crate) mod relevance_suggest;
pub mod relevance_typos;
pub(crate) mod search;
pub mod ssh;
pub(crate) mod ssh_floor;
pub(crate) mod ssh_server;
