//! The campaign endpoints (`/v1/campaigns`), one method each.

use reqwest::Method;

use super::{Client, ClientError, check};
use crate::api::campaign::{
    AddedMembers, Campaign, CampaignProgress, LeasedMember, MemberWithAttempts, NewCampaign, RecordOutcome,
    RecordedOutcome,
};
use crate::domain::campaign::MemberState;

impl Client {
    /// Creates a campaign (supervisors).
    pub async fn create_campaign(&self, body: &NewCampaign) -> Result<Campaign, ClientError> {
        self.with_body(Method::POST, "/v1/campaigns", body).await
    }
    /// Every campaign.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, ClientError> {
        self.get("/v1/campaigns", &[]).await
    }
    /// Campaign `id` with its counts.
    pub async fn campaign(&self, id: i64) -> Result<Campaign, ClientError> {
        self.get(&format!("/v1/campaigns/{id}"), &[]).await
    }
    /// `action`: `pause`, `resume` or `close` (supervisors).
    pub async fn set_campaign_state(&self, id: i64, action: &str) -> Result<Campaign, ClientError> {
        self.with_body(Method::POST, &format!("/v1/campaigns/{id}/{action}"), &serde_json::json!({})).await
    }
    /// Adds members from the campaign's own filter (supervisors).
    pub async fn add_campaign_members(&self, id: i64) -> Result<AddedMembers, ClientError> {
        self.with_body(Method::POST, &format!("/v1/campaigns/{id}/members"), &serde_json::json!({})).await
    }
    /// Campaign `id`'s members with their attempts, only those in `state` when given.
    pub async fn campaign_members(
        &self,
        id: i64,
        state: Option<MemberState>,
    ) -> Result<Vec<MemberWithAttempts>, ClientError> {
        let q: Vec<(&str, String)> = state
            .map(|s| {
                (
                    "state",
                    serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                )
            })
            .into_iter()
            .collect();
        self.get(&format!("/v1/campaigns/{id}/members"), &q).await
    }
    /// The members export as the server writes it (CSV text, one row per attempt).
    pub async fn campaign_members_csv(&self, id: i64) -> Result<String, ClientError> {
        let rb =
            self.request(Method::GET, &format!("/v1/campaigns/{id}/members")).query(&[("format", "csv")]);
        let resp = rb.send().await.map_err(ClientError::from_reqwest)?;
        check(resp).await?.text().await.map_err(ClientError::from_reqwest)
    }
    /// The next member, leased to this operator, with the call it started.
    pub async fn campaign_next(&self, id: i64) -> Result<LeasedMember, ClientError> {
        self.with_body(Method::POST, &format!("/v1/campaigns/{id}/next"), &serde_json::json!({})).await
    }
    /// Records how the call of `member` in campaign `id` ended.
    pub async fn record_campaign_outcome(
        &self,
        id: i64,
        member: i64,
        body: &RecordOutcome,
    ) -> Result<RecordedOutcome, ClientError> {
        self.with_body(Method::POST, &format!("/v1/campaigns/{id}/members/{member}/outcome"), body).await
    }
    /// Campaign `id`'s progress (burn-down, per prefecture, per operator).
    pub async fn campaign_progress(&self, id: i64) -> Result<CampaignProgress, ClientError> {
        self.get(&format!("/v1/campaigns/{id}/progress"), &[]).await
    }
}
