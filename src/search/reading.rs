//! Inferring a katakana reading for a name that came without one (real code lists have none).

/// A plausible katakana reading of `name`, or `None` when nothing sensible can be said.
/// (Placeholder until the search issue lands a dictionary.)
pub fn infer_reading(name: &str) -> Option<String> {
    let _ = name;
    None
}
