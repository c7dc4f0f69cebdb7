//! Operators' SSH public keys: register, list, remove, and the login lookup (key → operator,
//! with the role of the operator's token in force: a revoked operator's key no longer logs
//! in, and the SSH server's sweep ends its open sessions).

use chrono::{DateTime, Utc};

use super::audit::{NewEvent, append_admin_event};
use super::convert::{parse_instant, role_from_text};
use super::{Conn, ThisStore};
use crate::api::SshKey;
use crate::store::audit_chain;
use crate::store::{OperatorRecord, SshKeyStore, StoreError};

type KeyRow = (String, String, String, String, String);

fn key_from_row((operator, fingerprint, algorithm, comment, added_at): KeyRow) -> Result<SshKey, StoreError> {
    Ok(SshKey { operator, fingerprint, algorithm, comment, added_at: parse_instant(&added_at)? })
}

const KEY_COLUMNS: &str = "operator, fingerprint, algorithm, comment, added_at";

/// The audit event of a key registered or removed (a key is a way in), in the caller's
/// transaction: whose key and which; the chain records who did it.
async fn audit_key(
    tx: &mut Conn,
    action: &str,
    key: &SshKey,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({
        "operator": key.operator,
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
    });
    append_admin_event(tx, NewEvent { at, operator: by, action, code: None, with_receipt: false, detail })
        .await
}

#[async_trait::async_trait]
impl SshKeyStore for ThisStore {
    async fn add_ssh_key(&self, key: &SshKey, public_key: &str, by: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT name FROM operators WHERE name = $1 AND revoked_at IS NULL LIMIT 1")
                .bind(&key.operator)
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(StoreError::Invalid(format!(
                "オペレーター {} はいません。先に madoguchi operator add {} で登録してください",
                key.operator, key.operator
            )));
        }
        let owner: Option<String> =
            sqlx::query_scalar("SELECT operator FROM ssh_keys WHERE fingerprint = $1")
                .bind(&key.fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(owner) = owner {
            return Err(StoreError::Invalid(format!(
                "この鍵（{}）はもう {owner} の鍵として登録されています",
                key.fingerprint
            )));
        }
        sqlx::query(
            "INSERT INTO ssh_keys (fingerprint, operator, public_key, algorithm, comment, added_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.fingerprint)
        .bind(&key.operator)
        .bind(public_key)
        .bind(&key.algorithm)
        .bind(&key.comment)
        .bind(audit_chain::instant_text(key.added_at))
        .execute(&mut *tx)
        .await?;
        audit_key(&mut tx, "ssh_key.added", key, by, key.added_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ssh_keys(&self) -> Result<Vec<SshKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM ssh_keys ORDER BY operator, added_at, fingerprint"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(key_from_row).collect()
    }

    async fn remove_ssh_key(
        &self,
        fingerprint: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<SshKey, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<KeyRow> =
            sqlx::query_as(&format!("DELETE FROM ssh_keys WHERE fingerprint = $1 RETURNING {KEY_COLUMNS}"))
                .bind(fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "SSH 鍵 {fingerprint}（madoguchi operator key list で登録済みの鍵を確かめてください）"
            )));
        };
        let key = key_from_row(row)?;
        audit_key(&mut tx, "ssh_key.removed", &key, by, at).await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn operator_by_ssh_key(&self, fingerprint: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT o.name, o.role FROM ssh_keys k JOIN operators o ON o.name = k.operator
             WHERE k.fingerprint = $1 AND o.revoked_at IS NULL ORDER BY o.id DESC LIMIT 1",
        )
        .bind(fingerprint)
        .fetch_optional(self.reader())
        .await?;
        row.map(|(name, role)| Ok(OperatorRecord { name, role: role_from_text(&role)? })).transpose()
    }
}
