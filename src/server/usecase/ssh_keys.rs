//! SSH keys: registering an operator's public key for the SSH front door and removing it. Both
//! are audit events, as token issue and revocation are: a key is a way in.

use super::ApiError;
use super::text::{NAME_MAX_CHARS, bounded};
use crate::api::{NewSshKey, SshKey};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::ssh::authorized_key;

/// The longest public key line accepted, in characters (RSA 16384 fits).
const KEY_MAX_CHARS: usize = 16 * 1024;

/// Registers `req.public_key` for `req.operator`, audited as done by `caller`; 422 for a line
/// that is not a usable public key, an unknown operator or a key already registered.
pub async fn add(state: &AppState, caller: &Caller, req: NewSshKey) -> Result<SshKey, ApiError> {
    bounded("operator", "オペレーター名", &req.operator, NAME_MAX_CHARS)?;
    bounded("public_key", "公開鍵", &req.public_key, KEY_MAX_CHARS)?;
    let parsed =
        authorized_key::parse(&req.public_key).map_err(|m| ApiError::unprocessable("invalid_key", m))?;
    let key = SshKey {
        operator: req.operator.trim().to_string(),
        fingerprint: parsed.fingerprint,
        algorithm: parsed.algorithm,
        comment: parsed.comment,
        added_at: state.clock.now(),
    };
    state.store.add_ssh_key(&key, &parsed.openssh).await?;
    audit(state, caller, "ssh_key.added", &key).await?;
    tracing::info!("SSH key {} added for {} by {}", key.fingerprint, key.operator, caller.name);
    Ok(key)
}

/// Removes the key with `fingerprint`, audited; 404 when there is none. Its open sessions end
/// within a second (the SSH server's sweep).
pub async fn remove(state: &AppState, caller: &Caller, fingerprint: &str) -> Result<SshKey, ApiError> {
    let key = state.store.remove_ssh_key(fingerprint.trim()).await?;
    audit(state, caller, "ssh_key.removed", &key).await?;
    tracing::info!("SSH key {} of {} removed by {}", key.fingerprint, key.operator, caller.name);
    Ok(key)
}

/// The audit event of a key change: whose key, which, by whom (the chain records who).
async fn audit(state: &AppState, caller: &Caller, action: &str, key: &SshKey) -> Result<(), ApiError> {
    let detail = serde_json::json!({
        "operator": key.operator,
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
    });
    state.store.record_event(&caller.name, action, None, detail, state.clock.now()).await?;
    Ok(())
}
