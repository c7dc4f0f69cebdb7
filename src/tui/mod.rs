//! The operator console (ratatui + crossterm). It talks to the server only through
//! [`crate::client::Client`]: embedded or remote, one path.

use std::path::PathBuf;

use crate::client::Client;

/// What the console needs to start; built by the CLI after it has a server to talk to.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub client: Client,
    /// `embedded` or the server's URL, for the status bar.
    pub server_label: String,
    /// A user keymap layered over the defaults (`--keymap`, else the config folder's).
    pub keymap_path: Option<PathBuf>,
    /// Force ASCII borders and symbols (also automatic when the locale is not UTF-8).
    pub ascii: bool,
}

/// Why the console could not run (terminal setup, keymap file).
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("{0}")]
    Keymap(String),
}

/// Runs the console until the operator quits. (Placeholder until the console lands.)
pub async fn run(config: ConsoleConfig) -> Result<(), TuiError> {
    let _ = config;
    Ok(())
}
