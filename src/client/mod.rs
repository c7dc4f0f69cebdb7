//! The HTTP client of the API, used by the console and the CLI: one method per endpoint,
//! embedded server or remote, one path.
//!
//! Errors are sorted by what the caller does about them ([`ClientError`]): retry when
//! offline, redo on the fresh state when stale, show the server's words otherwise.

mod campaign;
mod floor;
mod sse;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    AttachFaq, CloseCallBack, NewCallBack, RevokeOperator, RevokedOperator, ScreenPop, ScreenPopRequest,
    TakenCallBack,
};
use crate::api::{
    AuditEvent, AuditVerifyResult, Call, ChangeReaderApplication, ChangeReceipt, Dashboard,
    DeadlineBatchRequest, DeadlineBatchResult, ErrorBody, FaqEntry, FaqImportResult, FaqResponse,
    FaqSuggestions, Health, InstitutionDetail, IssuedToken, LookupResponse, Me, NewOperator, NewSshKey,
    ReaderApplicationView, Role, ServerEvent, SetReading, SshKey, SshSession, StaleBody, StartCall,
    SubsidyView, UpdateCall,
};
use crate::domain::{CallBack, CallBackOutcome, CallReport, ReaderModel};

/// How long one ordinary request may take before the client calls the server unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a whole FAQ file's import may take (the server allows as long).
const FAQ_IMPORT_TIMEOUT: Duration = Duration::from_secs(120);

/// What can go wrong talking to the server, sorted by what the console does about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or the connection dropped: retry (with the same
    /// Idempotency-Key for a change).
    #[error("サーバーに接続できません: {0}")]
    Offline(String),
    /// 412: the application changed since it was read; `current` is the fresh state.
    #[error("{message}")]
    Stale {
        /// The server's message.
        message: String,
        /// The application as it stands now, when the server sent it.
        current: Option<Box<ReaderApplicationView>>,
    },
    /// Any other error answer, in the server's words.
    #[error("{message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error's stable code (`not_found`, `rule_refused`, ...).
        code: String,
        /// The server's message, fit to show the operator.
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("サーバーの応答を読めません: {0}")]
    Decode(String),
}

impl ClientError {
    fn from_reqwest(e: reqwest::Error) -> ClientError {
        if e.is_decode() { ClientError::Decode(e.to_string()) } else { ClientError::Offline(e.to_string()) }
    }
}

/// A connection to one madoguchi server with one operator's token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

/// Idle connections one console keeps to its server between requests. A console starts by
/// asking several things at once; kept, those connections would make every console hold about
/// six, and a floor of consoles would meet the server's connection cap (`serve
/// --max-connections`) at a sixth of its size.
const IDLE_PER_CONSOLE: usize = 2;

impl Client {
    /// `base_url` like `http://127.0.0.1:8080` (no trailing `/v1`).
    pub fn new(base_url: &str, token: Option<String>) -> Result<Client, ClientError> {
        Ok(Client::sharing(base_url, token, Client::pool(IDLE_PER_CONSOLE)?))
    }

    /// A connection pool keeping at most `idle` idle connections per server, for
    /// [`Client::sharing`]: the consoles the SSH door draws share one, so a floor of them
    /// holds as many connections as requests are in flight (plus one event stream each).
    pub fn pool(idle: usize) -> Result<reqwest::Client, ClientError> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(idle)
            .build()
            .map_err(|e| ClientError::Offline(e.to_string()))
    }

    /// A client for `token` over an existing pool (see [`Client::pool`]).
    pub fn sharing(base_url: &str, token: Option<String>, http: reqwest::Client) -> Client {
        Client { base: base_url.trim_end_matches('/').to_string(), token, http }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn send<T: DeserializeOwned>(rb: RequestBuilder) -> Result<T, ClientError> {
        let resp = rb.timeout(REQUEST_TIMEOUT).send().await.map_err(ClientError::from_reqwest)?;
        let resp = check(resp).await?;
        resp.json::<T>().await.map_err(ClientError::from_reqwest)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T, ClientError> {
        Client::send(self.request(Method::GET, path).query(query)).await
    }

    async fn with_body<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        Client::send(self.request(method, path).json(body)).await
    }

    /// `GET /healthz`: is the server up (no token needed).
    pub async fn health(&self) -> Result<(), ClientError> {
        let _: Health = self.get("/healthz", &[]).await?;
        Ok(())
    }
    /// Who the token belongs to and the server's business date (`GET /v1/me`).
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/v1/me", &[]).await
    }
    /// Ranked lookup. Just after a server starts, its index may still be loading (503
    /// `unavailable`, after the server has waited a while): asked again a few times.
    pub async fn lookup(&self, q: &str, limit: u32) -> Result<LookupResponse, ClientError> {
        let params = [("q", q.to_string()), ("limit", limit.to_string())];
        let mut attempts = 0;
        loop {
            match self.get("/v1/institutions", &params).await {
                Err(ClientError::Api { status: 503, code, .. }) if code == "unavailable" && attempts < 4 => {
                    attempts += 1;
                }
                other => return other,
            }
        }
    }
    /// The institution screen's header for `code`.
    pub async fn institution(&self, code: &str) -> Result<InstitutionDetail, ClientError> {
        self.get(&format!("/v1/institutions/{}", seg(code)), &[]).await
    }
    /// The reader catalogue (機種).
    pub async fn reader_models(&self) -> Result<Vec<ReaderModel>, ClientError> {
        self.get("/v1/reader-models", &[]).await
    }
    /// The application and its ETag (version) for `If-Match`.
    pub async fn reader_application(&self, code: &str) -> Result<ReaderApplicationView, ClientError> {
        self.get(&format!("/v1/institutions/{}/reader-application", seg(code)), &[]).await
    }
    /// Changes the application; retrying with the same `idempotency_key` and body is safe.
    pub async fn change_reader_application(
        &self,
        code: &str,
        if_match: i64,
        idempotency_key: &str,
        body: &ChangeReaderApplication,
    ) -> Result<ChangeReceipt, ClientError> {
        let rb = self
            .request(Method::PUT, &format!("/v1/institutions/{}/reader-application", seg(code)))
            .header(reqwest::header::IF_MATCH, format!("\"{if_match}\""))
            .header("Idempotency-Key", idempotency_key)
            .json(body);
        Client::send(rb).await
    }
    /// An operator's correction of an institution's reading.
    pub async fn set_reading(&self, code: &str, name_kana: &str) -> Result<InstitutionDetail, ClientError> {
        let body = SetReading { name_kana: name_kana.to_string() };
        self.with_body(Method::PUT, &format!("/v1/institutions/{}/reading", seg(code)), &body).await
    }
    /// The subsidy claim of `code` and the calculator's answer.
    pub async fn subsidy(&self, code: &str) -> Result<SubsidyView, ClientError> {
        self.get(&format!("/v1/institutions/{}/subsidy", seg(code)), &[]).await
    }
    /// FAQ entries answering `q`, at most `limit`.
    pub async fn faq(&self, q: &str, limit: u32) -> Result<FaqResponse, ClientError> {
        self.get("/v1/faq", &[("q", q.to_string()), ("limit", limit.to_string())]).await
    }
    /// Adds or replaces many FAQ entries in one step (supervisors): all or nothing.
    pub async fn import_faq(&self, entries: &[FaqEntry]) -> Result<FaqImportResult, ClientError> {
        #[derive(Serialize)]
        struct Body<'a> {
            entries: &'a [FaqEntry],
        }
        let rb = self.request(Method::POST, "/v1/faq/import").json(&Body { entries });
        let resp = rb.timeout(FAQ_IMPORT_TIMEOUT).send().await.map_err(ClientError::from_reqwest)?;
        let resp = check(resp).await?;
        resp.json().await.map_err(ClientError::from_reqwest)
    }
    /// The FAQ entries a caller is most likely to ask about during a call (`code`: the open
    /// institution; `note`: the call's note so far).
    pub async fn faq_suggest(&self, code: Option<&str>, note: &str) -> Result<FaqSuggestions, ClientError> {
        let mut q = vec![("note", note.to_string())];
        if let Some(c) = code {
            q.push(("code", c.to_string()));
        }
        self.get("/v1/faq/suggest", &q).await
    }
    /// Adds or replaces one FAQ entry (supervisors).
    pub async fn put_faq(&self, entry: &FaqEntry) -> Result<FaqEntry, ClientError> {
        self.with_body(Method::PUT, &format!("/v1/faq/{}", seg(&entry.id)), entry).await
    }
    /// The latest 変更履歴 events (up to 1,000), oldest first, of one institution or of all.
    pub async fn audit(&self, code: Option<&str>) -> Result<Vec<AuditEvent>, ClientError> {
        let mut q = vec![("limit", "1000".to_string())];
        if let Some(c) = code {
            q.push(("code", c.to_string()));
        }
        self.get("/v1/audit", &q).await
    }
    /// Checks the audit hash chain end to end (supervisors).
    pub async fn verify_audit(&self) -> Result<AuditVerifyResult, ClientError> {
        self.get("/v1/audit/verify", &[]).await
    }
    /// Issues a token for a new operator (supervisors); the token is in the answer only.
    pub async fn add_operator(&self, name: &str, role: Role) -> Result<IssuedToken, ClientError> {
        self.with_body(Method::POST, "/v1/operators", &NewOperator { name: name.to_string(), role }).await
    }
    /// Revokes an operator's token (supervisors): 401 for it on every server within seconds.
    pub async fn revoke_operator(&self, name: &str) -> Result<RevokedOperator, ClientError> {
        self.with_body(Method::POST, "/v1/operators/revoke", &RevokeOperator { name: name.to_string() }).await
    }
    /// Registers an SSH public key for an operator (supervisors).
    pub async fn add_ssh_key(&self, operator: &str, public_key: &str) -> Result<SshKey, ClientError> {
        let body = NewSshKey { operator: operator.to_string(), public_key: public_key.to_string() };
        self.with_body(Method::POST, "/v1/ssh-keys", &body).await
    }
    /// Every registered SSH key (supervisors).
    pub async fn ssh_keys(&self) -> Result<Vec<SshKey>, ClientError> {
        self.get("/v1/ssh-keys", &[]).await
    }
    /// The console sessions open over the server's SSH front door (supervisors).
    pub async fn ssh_sessions(&self) -> Result<Vec<SshSession>, ClientError> {
        self.get("/v1/ssh-sessions", &[]).await
    }
    /// Removes a key by fingerprint; its open sessions end (supervisors).
    pub async fn remove_ssh_key(&self, fingerprint: &str) -> Result<SshKey, ClientError> {
        Client::send(self.request(Method::DELETE, "/v1/ssh-keys").query(&[("fingerprint", fingerprint)]))
            .await
    }
    /// Starts a call, attached to `code` when given.
    pub async fn start_call(&self, code: Option<&str>) -> Result<Call, ClientError> {
        self.with_body(Method::POST, "/v1/calls", &StartCall { code: code.map(str::to_string) }).await
    }
    /// Changes call `id`: institution, note, wrap-up reasons, close.
    pub async fn update_call(&self, id: i64, update: &UpdateCall) -> Result<Call, ClientError> {
        self.with_body(Method::PATCH, &format!("/v1/calls/{id}"), update).await
    }
    /// Calls of today (business date), optionally for one institution, newest first.
    pub async fn calls(&self, code: Option<&str>) -> Result<Vec<Call>, ClientError> {
        let mut q = vec![("today", "true".to_string())];
        if let Some(c) = code {
            q.push(("code", c.to_string()));
        }
        self.get("/v1/calls", &q).await
    }
    /// Attaches an FAQ answer shown (or copied) during the call to its record.
    pub async fn attach_faq(&self, call_id: i64, faq_id: &str, copied: bool) -> Result<Call, ClientError> {
        let body = AttachFaq { faq_id: faq_id.to_string(), copied };
        self.with_body(Method::POST, &format!("/v1/calls/{call_id}/faq"), &body).await
    }
    /// Records a call-back to the institution's registered number.
    pub async fn create_callback(&self, body: &NewCallBack) -> Result<CallBack, ClientError> {
        self.with_body(Method::POST, "/v1/callbacks", body).await
    }
    /// Open call-backs (overdue first), or all with `all`.
    pub async fn callbacks(&self, all: bool, code: Option<&str>) -> Result<Vec<CallBack>, ClientError> {
        let mut q = vec![("all", all.to_string())];
        if let Some(c) = code {
            q.push(("code", c.to_string()));
        }
        self.get("/v1/callbacks", &q).await
    }
    /// Takes a call-back: a call on its institution starts, linked to it.
    pub async fn take_callback(&self, id: i64) -> Result<TakenCallBack, ClientError> {
        self.with_body(Method::POST, &format!("/v1/callbacks/{id}/take"), &serde_json::json!({})).await
    }
    /// Closes call-back `id` with its outcome.
    pub async fn close_callback(&self, id: i64, outcome: CallBackOutcome) -> Result<CallBack, ClientError> {
        self.with_body(Method::POST, &format!("/v1/callbacks/{id}/close"), &CloseCallBack { outcome }).await
    }
    /// The phone system's screen pop (a `telephony` token).
    pub async fn screen_pop(&self, caller_number: &str, operator: &str) -> Result<ScreenPop, ClientError> {
        let body =
            ScreenPopRequest { caller_number: caller_number.to_string(), operator: operator.to_string() };
        self.with_body(Method::POST, "/v1/screen-pops", &body).await
    }
    /// The call report of `from..=to` (Japan dates; `None`: today).
    pub async fn call_report(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<CallReport, ClientError> {
        let mut q = Vec::new();
        if let Some(f) = from {
            q.push(("from", f.to_string()));
        }
        if let Some(t) = to {
            q.push(("to", t.to_string()));
        }
        self.get("/v1/reports/calls", &q).await
    }
    /// The supervisor's dashboard.
    pub async fn dashboard(&self) -> Result<Dashboard, ClientError> {
        self.get("/v1/dashboard", &[]).await
    }
    /// Runs the deadline batch (supervisors); `dry_run` only counts.
    pub async fn deadline_batch(&self, dry_run: bool) -> Result<DeadlineBatchResult, ClientError> {
        self.with_body(Method::POST, "/v1/batch/deadline", &DeadlineBatchRequest { dry_run }).await
    }
    /// Subscribes to `/v1/events`; events arrive on the returned receiver until the
    /// connection drops (then the receiver closes and the caller resubscribes).
    pub async fn events(&self) -> Result<tokio::sync::mpsc::Receiver<ServerEvent>, ClientError> {
        let resp = self
            .request(Method::GET, "/v1/events")
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let resp = check(resp).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(sse::pump(resp, tx));
        Ok(rx)
    }
}

/// A fresh `Idempotency-Key` for one change (reuse it only to retry that same change).
pub fn new_idempotency_key() -> String {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        buf = nanos.to_le_bytes();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Turns an error answer into the matching [`ClientError`], in the server's words.
async fn check(resp: Response) -> Result<Response, ClientError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let bytes = resp.bytes().await.map_err(ClientError::from_reqwest)?;
    if status == StatusCode::PRECONDITION_FAILED
        && let Ok(stale) = serde_json::from_slice::<StaleBody>(&bytes)
    {
        return Err(ClientError::Stale {
            message: stale.error.message,
            current: Some(Box::new(stale.current)),
        });
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) if status == StatusCode::PRECONDITION_FAILED => {
            Err(ClientError::Stale { message: body.error.message, current: None })
        }
        Ok(body) => Err(ClientError::Api {
            status: status.as_u16(),
            code: body.error.code,
            message: body.error.message,
        }),
        Err(_) => Err(ClientError::Api {
            status: status.as_u16(),
            code: "http".to_string(),
            message: format!("サーバーがエラーを返しました (HTTP {})", status.as_u16()),
        }),
    }
}

/// Percent-encodes one path segment (codes and FAQ ids are typed by people).
fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("1310012345"), "1310012345");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        assert_eq!(seg("あ"), "%E3%81%82");
    }
}
