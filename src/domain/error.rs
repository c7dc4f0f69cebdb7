//! Refusals of the domain rules, worded for an operator to read aloud.

/// Why a rule refused a change. The `Display` text is shown to the operator verbatim, so it
/// says what the rule is and, where there is one, what the caller can do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    /// A refusal; the text says why and what to do instead.
    Refused(String),
}
