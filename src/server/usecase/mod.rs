//! The workflows, one function each: validate, apply the domain rule, write through the
//! store (one transaction) and show the change in the in-memory indexes (consoles hear of it
//! from the store's change feed: `server/change_feed.rs`). Reads are use cases too. Route
//! handlers only parse the request, call one of these and render the answer; the CLI calls
//! the same functions.
//!
//! - `applications.rs`: read and change a reader application, the model catalog; the deadline
//!   batch.
//! - `institutions.rs`: the lookup, find one, its detail and subsidy view, correct a reading,
//!   import a file's rows.
//! - `audit.rs`: the 変更履歴 and the check of its hash chain.
//! - `calls.rs`: open, update and close a call (wrap-up reasons), FAQ answers on its record.
//! - `callbacks.rs`: 折り返し to the registered number; `screen_pops.rs`: the phone system's
//!   screen pops; `reports.rs`: the call report.
//! - `faq.rs`: search, edit an entry; `dashboard.rs`: the supervisor's dashboard.
//! - `meta.rs`: health, and who am I.
//! - `operators.rs`: issue and revoke tokens; `ssh_keys.rs`: list, register and remove SSH
//!   keys, and the SSH sessions open.
//! - `campaigns.rs`: 架電キャンペーン; its 次へ and outcomes written in batches through
//!   `group_commit.rs` (requests arriving together share one transaction).
//! - `text.rs`: the caps on free-text fields.
//!
//! Errors are [`ApiError`]s: one variant per outcome the API documents, with the operator's
//! message.

pub mod applications;
pub(crate) mod audit;
pub(crate) mod callbacks;
pub mod calls;
pub(crate) mod campaigns;
pub(crate) mod dashboard;
pub(crate) mod faq;
pub(crate) mod floor;
pub(crate) mod group_commit;
pub mod institutions;
pub(crate) mod meta;
pub mod operators;
pub(crate) mod reports;
pub(crate) mod screen_pops;
pub mod ssh_keys;
pub(crate) mod text;

pub use super::error::ApiError;
