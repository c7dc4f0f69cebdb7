//! The operator console (ratatui + crossterm). It talks to the server only through
//! [`crate::client::Client`]: embedded or remote, one path.
//!
//! # Layout
//! - `action.rs`: the one `Action` enum (bindable actions are named in keymap files).
//! - `keymap.rs`: key names → actions per context, layering, errors with file and line.
//! - `state.rs`: everything the console shows, one value.
//! - `update/`: the pure `update(&mut State, Action) -> Vec<Effect>`, one module per screen.
//! - `effect.rs`: the I/O `update()` asks for; `app.rs` performs it and runs the loop.
//! - `view/`: the pure `view(&State, &mut Frame)`, one module per screen.
//! - `field.rs`: one-line text fields (IME, paste, caret); `text.rs`: UI strings, symbols,
//!   width-aware truncation; `terminal.rs`: raw mode, restore, the tty reader and signals,
//!   locale, OSC 52; `input.rs`: input bytes → key events (tty and SSH alike).
//! - `period.rs`: the dashboard report's period (a day, a week, a month) and its steps.
//! - `bench.rs`: keystroke → frame figures through a real server.

pub mod action;
pub(crate) mod app;
pub mod campaign;
pub(crate) mod command;

pub(crate) mod effect;
pub mod field;
pub(crate) mod floor;
pub(crate) mod input;
pub mod keymap;
pub(crate) mod period;
pub(crate) mod search_pane;
pub(crate) mod state;
pub(crate) mod terminal;
pub mod text;
pub(crate) mod update;
pub(crate) mod view;

use std::path::PathBuf;

use crate::client::Client;

pub use action::Action;
pub use command::Command;
pub use effect::Effect;
pub use keymap::Keymap;
pub use state::State;
pub use update::{init, update};
pub use view::view;

/// What the console needs to start; built by the CLI after it has a server to talk to.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The client of the server the console talks to.
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
    /// The terminal could not be set up or drawn on.
    Terminal(#[from] std::io::Error),
    #[error("{0}")]
    /// The keymap file could not be used (the message says where and why).
    Keymap(String),
    /// The console ended because its terminal went away or a signal told it to stop.
    #[error("{0}")]
    Ended(String),
}

/// `keymap.toml` in the user's config folder (beside `config.toml`), when it exists.
pub fn user_keymap_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("madoguchi").join("keymap.toml")).filter(|p| p.exists())
}

/// Builds the console's starting state for a keymap and display settings.
pub fn initial_state(server_label: &str, keymap: &Keymap, ascii: bool, color: bool) -> State {
    let mut state = State::new(server_label, ascii, color, &app::session_id(), chrono::Utc::now());
    state.help = keymap.help_lines();
    state.hints = keymap.hints();
    state
}

/// Runs the console until the operator quits (or SIGTERM / SIGHUP); the terminal is
/// restored in every case, including a panic.
pub async fn run(config: ConsoleConfig) -> Result<(), TuiError> {
    let path = config.keymap_path.clone().or_else(user_keymap_path);
    let keymap = Keymap::load(path.as_deref()).map_err(|e| TuiError::Keymap(e.to_string()))?;
    let ascii = config.ascii || !terminal::locale_is_utf8();
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let state = initial_state(&config.server_label, &keymap, ascii, color);
    app::run_terminal(config.client, keymap, state).await
}
