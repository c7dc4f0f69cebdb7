//! Operators: issuing a token (only its hash is stored; one token in force per name),
//! revoking it, finding who a token belongs to, and the cheap generation every server polls
//! to notice a revocation made elsewhere. Issue and revocation are audit events in the same
//! transaction as the row they change.

use chrono::{DateTime, Utc};

use super::audit::{NewEvent, append_admin_event};
use super::convert::role_from_text;
use super::{Conn, ThisStore};
use crate::api::Role;
use crate::store::audit_chain;
use crate::store::{OperatorGeneration, OperatorRecord, OperatorStore, StoreError};

/// The refusal of a second token in force under one name.
fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "オペレーター名「{name}」はもう使われています。別の名前にするか、先に madoguchi operator revoke {name} で今のトークンを取り消してください"
    ))
}

/// The audit event of a token issued or revoked under `name`, in the caller's transaction.
async fn audit_operator(
    tx: &mut Conn,
    action: &str,
    name: &str,
    role: Role,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({ "name": name, "role": role.as_str() });
    append_admin_event(tx, NewEvent { at, operator: by, action, code: None, with_receipt: false, detail })
        .await
}

#[async_trait::async_trait]
impl OperatorStore for ThisStore {
    async fn add_operator(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("オペレーター名が空です。名前を入れてください".into()));
        }
        let mut tx = self.begin_write().await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT name FROM operators WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(
                "このトークンは発行済みです。新しいトークンを作ってください".into(),
            ));
        }
        let active: Option<i64> =
            sqlx::query_scalar("SELECT id FROM operators WHERE name = $1 AND revoked_at IS NULL")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if active.is_some() {
            return Err(name_taken(name));
        }
        let inserted =
            sqlx::query("INSERT INTO operators (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(name)
                .bind(role.as_str())
                .bind(token_hash)
                .bind(audit_chain::instant_text(at))
                .execute(&mut *tx)
                .await;
        match inserted {
            // Two servers racing on one name: the index decides, the loser hears why.
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                return Err(name_taken(name));
            }
            other => other?,
        };
        audit_operator(&mut tx, "operator.token_issued", name, role, by, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_operator(
        &self,
        name: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<OperatorRecord, StoreError> {
        let name = name.trim();
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, role FROM operators WHERE name = $1 AND revoked_at IS NULL{}",
            super::FOR_UPDATE
        ))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, role)) = row else {
            return Err(StoreError::NotFound(format!(
                "トークンが有効なオペレーター「{name}」（名前を確かめてください）"
            )));
        };
        let role = role_from_text(&role)?;
        sqlx::query("UPDATE operators SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
            .bind(audit_chain::instant_text(at))
            .bind(by)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_operator(&mut tx, "operator.revoked", name, role, by, at).await?;
        tx.commit().await?;
        Ok(OperatorRecord { name: name.to_string(), role })
    }

    async fn operator_by_token_hash(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, role FROM operators WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
        row.map(|(name, role)| Ok(OperatorRecord { name, role: role_from_text(&role)? })).transpose()
    }

    async fn operator_named(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, role FROM operators WHERE name = $1 AND revoked_at IS NULL")
                .bind(name.trim())
                .fetch_optional(self.reader())
                .await?;
        row.map(|(name, role)| Ok(OperatorRecord { name, role: role_from_text(&role)? })).transpose()
    }

    async fn operator_generation(&self) -> Result<OperatorGeneration, StoreError> {
        let (rows, max_id, revoked, keys): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COUNT(revoked_at), (SELECT COUNT(*) FROM ssh_keys) \
             FROM operators",
        )
        .fetch_one(self.reader())
        .await?;
        Ok(OperatorGeneration { rows, max_id, revoked, keys })
    }
}
