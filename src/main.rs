//! The `madoguchi` binary: sets up logging, parses the command line and dispatches (see
//! `cli/`). A failure prints one line saying what to do and exits non-zero; a closed pipe
//! (`madoguchi lookup x | head`) exits 0 quietly.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use madoguchi::cli::serve::LogFormat;
use madoguchi::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("madoguchi: 実行環境を準備できません: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(madoguchi::cli::run(cli));
    // Whatever is still running (a request to a server that no longer answers, a blocking
    // read) must not hold the exit: the work that matters has finished or been abandoned
    // whole (every write is one transaction).
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!: after a hang-up stderr is a dead terminal, and that must not panic.
            let _ = writeln!(std::io::stderr(), "madoguchi: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// Sets up the log on standard error. The console owns the terminal: it logs only when asked.
/// A one-shot command's standard error is its one-line answer: warnings, but not sqlx's "slow
/// statement" (a full read of a national database is slow by nature and says nothing to do).
/// `serve` logs at info: in plain text without a line per request (only failed ones), in JSON
/// (`--log-format json`) with one. `MADOGUCHI_LOG` (a tracing filter) overrides the level.
fn init_logging(cli: &Cli) {
    let json = matches!(&cli.command, Some(Command::Serve(a)) if a.log_format == LogFormat::Json);
    let default = match &cli.command {
        Some(Command::Serve(_)) if json => "info",
        Some(Command::Serve(_)) => "info,madoguchi::http=warn",
        None => "off",
        // The embedded server's request lines (a 503 while the index loads) are not the answer.
        _ => "warn,sqlx::query=error,madoguchi::http=off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MADOGUCHI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let log = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        // Fields at the top level of each object; the request or SSH session it belongs to
        // (its id, operator, key, address) under "span".
        log.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
    } else {
        // Colours only on a terminal: a log written to a file or a journal stays plain text.
        log.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// The error and its causes on one line, each said once: an error that shows its source in
/// its own message (`#[error("...: {0}")]`) is not followed by that source again.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(text.as_str()) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}
