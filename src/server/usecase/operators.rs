//! Operators: issuing a token under a name no token in force uses, and revoking it. Both are
//! audit events (written by the store in the same transaction); a revocation takes effect on
//! this server at once and on every other within [`crate::server::state::REVOCATION_POLL`]
//! (each polls the operators table's generation and forgets its token cache on a change).

use super::ApiError;
use crate::api::{IssuedToken, RevokedOperator, Role};
use crate::server::auth::{Caller, hash_token, new_token};
use crate::server::state::AppState;

/// The longest operator name, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// The trimmed name, or 422 saying what a name may be.
pub fn valid_name(raw: &str) -> Result<&str, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "オペレーター名を1〜100文字（制御文字なし）で入れてください",
        ));
    }
    Ok(name)
}

/// Issues a fresh token for `name` with `role`, audited as done by `caller`; 409 when the
/// name already has a token in force.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    name: &str,
    role: Role,
) -> Result<IssuedToken, ApiError> {
    let name = valid_name(name)?;
    let token = new_token()?;
    state.store.add_operator(name, role, &hash_token(&token), &caller.name, state.clock.wall()).await?;
    state.operators_changed();
    Ok(IssuedToken { name: name.to_string(), role, token })
}

/// Revokes the token in force under `name`, audited as done by `caller`; 404 when there is
/// none. Requests with it get 401 from now on here, within seconds elsewhere.
pub async fn revoke(state: &AppState, caller: &Caller, name: &str) -> Result<RevokedOperator, ApiError> {
    let name = valid_name(name)?;
    let at = state.clock.wall();
    let revoked = state.store.revoke_operator(name, &caller.name, at).await?;
    state.operators_changed();
    Ok(RevokedOperator { name: revoked.name, role: revoked.role, revoked_at: at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(valid_name("  佐藤 ").ok(), Some("佐藤"));
        assert!(valid_name("   ").is_err());
        assert!(valid_name(&"あ".repeat(101)).is_err());
        assert!(valid_name(&"あ".repeat(100)).is_ok());
        assert!(valid_name("a\u{7}b").is_err());
    }
}
