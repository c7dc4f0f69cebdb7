//! madoguchi — the console and API server of the call center behind Japan's online eligibility
//! verification rollout (オンライン資格確認).
//!
//! # Layout
//! - `domain/`: pure rules and types (institution codes, the reader application state machine,
//!   the subsidy calculator, the policy file). No I/O.
//! - `search/`: pure text normalisation (kana, width, romaji, variant kanji) and the in-memory
//!   institution and FAQ indexes.
//! - `store/`: one trait per resource (combined in `Store`) and the SQLite and PostgreSQL
//!   backends, which share the SQL in `store/sql/` (one file per resource).
//! - `api/`: wire types shared by the server and the client.
//! - `server/`: the axum API server (routes, auth, errors, OpenAPI, server-sent events).
//! - `client/`: the reqwest client used by the console and the CLI.
//! - `tui/`: the operator console (ratatui + crossterm).
//! - `demo/`: deterministic demo data for the whole of Japan.
//! - `import/`: parsing and checking institution CSV files and FAQ JSONL files.
//! - `bench/`: the figures behind `madoguchi bench` (search latency, relevance, load).
//! - `cli/`: the clap command line; `main.rs` only dispatches.

pub mod api;
pub mod bench;
pub mod cli;
pub mod client;
pub mod demo;
pub mod domain;
pub mod import;
pub mod search;
pub mod server;
pub mod ssh;
pub mod store;
pub mod tui;
