//! The workflows, one function each: validate, apply the domain rule, write through the
//! store (one transaction), update the in-memory indexes and publish the event. Route
//! handlers only parse the request and render the answer; the CLI calls the same functions.
//!
//! - `applications.rs`: change a reader application; the deadline batch.
//! - `institutions.rs`: find one, correct a reading, import a file's rows.
//! - `calls.rs`: open, update and close a call (wrap-up reasons), FAQ answers on its record.
//! - `callbacks.rs`: 折り返し to the registered number; `screen_pops.rs`: the phone system's
//!   screen pops; `reports.rs`: the call report.
//! - `faq.rs`: edit an entry; `dashboard.rs`: the supervisor's dashboard.
//! - `operators.rs`: issue and revoke tokens; `ssh_keys.rs`: register and remove SSH keys.
//! - `text.rs`: the caps on free-text fields.
//!
//! Errors are [`ApiError`]s: one variant per outcome the API documents, with the operator's
//! message.

pub mod applications;
pub mod callbacks;
pub mod calls;
pub mod dashboard;
pub mod faq;
pub mod floor;
pub mod institutions;
pub mod operators;
pub mod reports;
pub mod screen_pops;
pub mod ssh_keys;
pub mod text;

pub use super::error::ApiError;
