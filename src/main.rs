//! The `madoguchi` binary: parses the command line and dispatches (see `cli/`).

fn main() {}
