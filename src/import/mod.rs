//! Reading institution CSV files and FAQ JSONL files into domain values, with a report of
//! every row that was rejected and why. Parsing only: the caller writes through the `Store`.

pub mod faq;
pub mod institutions;
