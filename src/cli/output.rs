//! Writing results to standard output: JSON for scripts, lines for people. Write errors are
//! returned (never a panic), so a closed pipe (`| head`) ends the program quietly.

use std::io::Write;

use serde::Serialize;

/// Prints `value` as pretty JSON and a newline.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints lines of text.
pub fn lines<I, S>(lines: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = std::io::stdout().lock();
    for l in lines {
        writeln!(out, "{}", l.as_ref())?;
    }
    out.flush()?;
    Ok(())
}
