//! SSH keys: registering an operator's public key for the SSH front door and removing it. Both
//! are audit events (written by the store in the same transaction), as token issue and
//! revocation are: a key is a way in.

use super::ApiError;
use super::text::{NAME_MAX_CHARS, bounded};
use crate::api::{NewSshKey, SshKey, SshSession};
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
        added_at: state.clock.wall(),
    };
    state.store.add_ssh_key(&key, &parsed.openssh, &caller.name).await?;
    tracing::info!("SSH key {} added for {} by {}", key.fingerprint, key.operator, caller.name);
    Ok(key)
}

/// Every registered key.
pub async fn list(state: &AppState) -> Result<Vec<SshKey>, ApiError> {
    Ok(state.store.ssh_keys().await?)
}

/// The console sessions open over this server's SSH front door, oldest first.
pub fn sessions(state: &AppState) -> Vec<SshSession> {
    state.ssh_sessions()
}

/// Removes the key with `fingerprint`, audited; 404 when there is none. Its open sessions end
/// within a second (the SSH server's sweep).
pub async fn remove(state: &AppState, caller: &Caller, fingerprint: &str) -> Result<SshKey, ApiError> {
    let key = state.store.remove_ssh_key(fingerprint.trim(), &caller.name, state.clock.wall()).await?;
    tracing::info!("SSH key {} of {} removed by {}", key.fingerprint, key.operator, caller.name);
    // The SSH door's sweep reads its sessions' owners again (other servers: the key count).
    state.operators_changed();
    Ok(key)
}
