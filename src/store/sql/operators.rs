//! Operators: issuing a token (only its hash is stored) and finding who a token belongs to.

use chrono::{DateTime, Utc};

use super::ThisStore;
use super::convert::role_from_text;
use crate::api::Role;
use crate::store::audit_chain;
use crate::store::{OperatorRecord, OperatorStore, StoreError};

#[async_trait::async_trait]
impl OperatorStore for ThisStore {
    async fn add_operator(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("the operator name is empty: give a name".into()));
        }
        let mut tx = self.begin_write().await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT name FROM operators WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid("this token is already issued: generate a new one".into()));
        }
        sqlx::query("INSERT INTO operators (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(name.trim())
            .bind(role.as_str())
            .bind(token_hash)
            .bind(audit_chain::instant_text(at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn operator_by_token_hash(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, role FROM operators WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
        row.map(|(name, role)| Ok(OperatorRecord { name, role: role_from_text(&role)? })).transpose()
    }
}
