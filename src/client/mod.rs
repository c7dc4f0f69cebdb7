//! The HTTP client of the API, used by the console and the CLI: one method per endpoint,
//! embedded server or remote, one path.
//!
//! CONTRACT (filled in by the server/client work): signatures below are what the console
//! codes against; bodies are placeholders until then.

use crate::api::{
    AuditEvent, Call, ChangeReaderApplication, ChangeReceipt, Dashboard, DeadlineBatchResult, FaqResponse,
    InstitutionDetail, LookupResponse, Me, ReaderApplicationView, ServerEvent, SubsidyView, UpdateCall,
};
use crate::domain::ReaderModel;

/// What can go wrong talking to the server, sorted by what the console does about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or the connection dropped: retry (with the same
    /// Idempotency-Key for a change).
    #[error("サーバーに接続できません: {0}")]
    Offline(String),
    /// 412: the application changed since it was read; `current` is the fresh state.
    #[error("{message}")]
    Stale { message: String, current: Option<Box<ReaderApplicationView>> },
    /// Any other error answer, in the server's words.
    #[error("{message}")]
    Api { status: u16, code: String, message: String },
    /// The answer was not what the API documents.
    #[error("サーバーの応答を読めません: {0}")]
    Decode(String),
}

/// A connection to one madoguchi server with one operator's token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// `base_url` like `http://127.0.0.1:8080` (no trailing `/v1`).
    pub fn new(base_url: &str, token: Option<String>) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder().build().map_err(|e| ClientError::Offline(e.to_string()))?;
        Ok(Client { base: base_url.trim_end_matches('/').to_string(), token, http })
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub async fn health(&self) -> Result<(), ClientError> {
        let _ = (&self.http, &self.token);
        todo!()
    }
    pub async fn me(&self) -> Result<Me, ClientError> {
        todo!()
    }
    pub async fn lookup(&self, _q: &str, _limit: u32) -> Result<LookupResponse, ClientError> {
        todo!()
    }
    pub async fn institution(&self, _code: &str) -> Result<InstitutionDetail, ClientError> {
        todo!()
    }
    pub async fn reader_models(&self) -> Result<Vec<ReaderModel>, ClientError> {
        todo!()
    }
    /// The application and its ETag (version) for `If-Match`.
    pub async fn reader_application(&self, _code: &str) -> Result<ReaderApplicationView, ClientError> {
        todo!()
    }
    /// Changes the application; retrying with the same `idempotency_key` and body is safe.
    pub async fn change_reader_application(
        &self,
        _code: &str,
        _if_match: i64,
        _idempotency_key: &str,
        _body: &ChangeReaderApplication,
    ) -> Result<ChangeReceipt, ClientError> {
        todo!()
    }
    pub async fn subsidy(&self, _code: &str) -> Result<SubsidyView, ClientError> {
        todo!()
    }
    pub async fn faq(&self, _q: &str, _limit: u32) -> Result<FaqResponse, ClientError> {
        todo!()
    }
    pub async fn audit(&self, _code: Option<&str>) -> Result<Vec<AuditEvent>, ClientError> {
        todo!()
    }
    pub async fn start_call(&self, _code: Option<&str>) -> Result<Call, ClientError> {
        todo!()
    }
    pub async fn update_call(&self, _id: i64, _update: &UpdateCall) -> Result<Call, ClientError> {
        todo!()
    }
    /// Calls of today (business date), optionally for one institution, newest first.
    pub async fn calls(&self, _code: Option<&str>) -> Result<Vec<Call>, ClientError> {
        todo!()
    }
    pub async fn dashboard(&self) -> Result<Dashboard, ClientError> {
        todo!()
    }
    pub async fn deadline_batch(&self, _dry_run: bool) -> Result<DeadlineBatchResult, ClientError> {
        todo!()
    }
    /// Subscribes to `/v1/events`; events arrive on the returned receiver until the
    /// connection drops (then the receiver closes and the caller resubscribes).
    pub async fn events(&self) -> Result<tokio::sync::mpsc::Receiver<ServerEvent>, ClientError> {
        todo!()
    }
}
