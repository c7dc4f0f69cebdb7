//! Pure domain rules and types: no I/O, no clocks, no SQL, no HTTP.
//!
//! Names follow the glossary in DESIGN.md. Every rule that can refuse something returns a
//! [`RuleError`] whose message an operator can read aloud to a caller.

pub(crate) mod audit;
pub mod call;
pub mod campaign;
pub(crate) mod error;
pub(crate) mod faq_context;
pub mod floor;
pub mod institution;
pub(crate) mod jst;
pub mod policy;
pub mod reader;
pub mod subsidy;

pub use call::{CallBack, CallBackOutcome, CallBackState, CallReport, WrapUpReason};
pub use error::RuleError;
pub use institution::{
    CodeCheck, CodeError, Institution, InstitutionCode, InstitutionKind, InstitutionsVersion,
};
pub use policy::{Policy, PolicyError};
pub use reader::{ReaderApplication, ReaderChange, ReaderModel, ReaderStatus};
pub use subsidy::{SubsidyClaim, SubsidyStatus};
