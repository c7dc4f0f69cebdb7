//! The floor's endpoints (`/v1/floor`): the supervisors' view, the operator's own state,
//! raised hands and watches.

use reqwest::Method;

use super::{Client, ClientError, check};
use crate::api::{Floor, MyFloor, RaiseHand, SetAgentState, StartWatch, WatchStarted};
use crate::domain::floor::HandRaise;

impl Client {
    /// The floor view (supervisors).
    pub async fn floor(&self) -> Result<Floor, ClientError> {
        self.get("/v1/floor", &[]).await
    }
    /// The caller's own state, latest hand and watcher.
    pub async fn my_floor(&self) -> Result<MyFloor, ClientError> {
        self.get("/v1/floor/me", &[]).await
    }
    /// Signs in or out, 受付可, or 離席 with a reason.
    pub async fn set_agent_state(&self, to: &SetAgentState) -> Result<MyFloor, ClientError> {
        self.with_body(Method::PUT, "/v1/floor/me", to).await
    }
    /// Raises the caller's hand (挙手) with a short note.
    pub async fn raise_hand(&self, note: &str) -> Result<HandRaise, ClientError> {
        self.with_body(Method::POST, "/v1/floor/hands", &RaiseHand { note: note.to_string() }).await
    }
    /// Lowers the caller's hand (nothing when none is up); the caller's state after.
    pub async fn lower_hand(&self) -> Result<MyFloor, ClientError> {
        Client::send(self.request(Method::DELETE, "/v1/floor/hands")).await
    }
    /// Acknowledges hand `id` (supervisors).
    pub async fn acknowledge_hand(&self, id: i64) -> Result<HandRaise, ClientError> {
        self.with_body(Method::POST, &format!("/v1/floor/hands/{id}/acknowledge"), &serde_json::json!({}))
            .await
    }
    /// Begins watching `operator`'s console (supervisors).
    pub async fn start_watch(&self, operator: &str) -> Result<WatchStarted, ClientError> {
        self.with_body(Method::POST, "/v1/floor/watches", &StartWatch { operator: operator.to_string() })
            .await
    }
    /// Ends watch `id`.
    pub async fn end_watch(&self, id: u64) -> Result<(), ClientError> {
        let resp = self
            .request(Method::DELETE, &format!("/v1/floor/watches/{id}"))
            .timeout(super::REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        check(resp).await.map(|_| ())
    }
}
