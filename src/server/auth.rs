//! Bearer tokens: the [`Caller`] extractor (401 without a valid token, or with a revoked
//! one) and the role extractors [`Staff`], [`Supervisor`], [`FaqReader`] and [`Telephony`]
//! (403), which handlers take first so the role is checked before the path, the query or the
//! body is read. Tokens are random, shown once, and stored only as SHA-256 hashes.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::state::AppState;
use crate::api::Role;

/// The operator a request acts for, from its `Authorization: Bearer` token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Operator name the token was issued to.
    pub name: String,
    /// What the token may do.
    pub role: Role,
}

impl Caller {
    /// Operators and supervisors: everything but the FAQ-only `service` role and the
    /// screen-pop-only `telephony` role.
    pub fn staff(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Operator | Role::Supervisor => Ok(()),
            Role::Service => {
                Err(ApiError::Forbidden("このトークン（service）で使えるのは FAQ 検索だけです".to_string()))
            }
            Role::Telephony => Err(telephony_only()),
        }
    }

    /// Everyone who may search the FAQ: staff and the chatbot (`service`), not the phone system.
    pub fn faq_reader(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Telephony => Err(telephony_only()),
            Role::Operator | Role::Supervisor | Role::Service => Ok(()),
        }
    }

    /// The phone system (`telephony`) only: screen pops.
    pub fn telephony(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Telephony => Ok(()),
            _ => Err(ApiError::Forbidden(
                "着信通知（screen pop）を送れるのは電話システムのトークン（telephony）だけです".to_string(),
            )),
        }
    }

    /// Supervisors only.
    pub fn supervisor(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Supervisor => Ok(()),
            _ => Err(ApiError::Forbidden("この操作は監督者（supervisor）だけができます".to_string())),
        }
    }
}

/// The refusal of every route but screen pops to a `telephony` token.
fn telephony_only() -> ApiError {
    ApiError::Forbidden(
        "このトークン（telephony）で使えるのは着信通知（POST /v1/screen-pops）だけです".to_string(),
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or(ApiError::Unauthorized)?;
        let value = header.to_str().map_err(|_| ApiError::Unauthorized)?;
        // The scheme is case-insensitive (RFC 9110): `Bearer`, `bearer`, `BEARER`.
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let op = state.operator_for(&hash_token(token)).await?.ok_or(ApiError::Unauthorized)?;
        // The request's log line names the operator (see `request_log.rs`).
        if let Some(slot) = parts.extensions.get::<super::request_log::OperatorSlot>() {
            slot.set(&op.name);
        }
        Ok(Caller { name: op.name, role: op.role })
    }
}

/// Role extractors: each checks its role from the headers, before the path, the query or the
/// body is read, so a token of the wrong role gets 403 whatever it sends.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $check:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<$name, ApiError> {
                let caller = Caller::from_request_parts(parts, state).await?;
                caller.$check()?;
                Ok($name(caller))
            }
        }
    };
}

role_extractor!(
    /// A caller of the staff roles (operator, supervisor).
    Staff, staff
);
role_extractor!(
    /// A supervisor.
    Supervisor, supervisor
);
role_extractor!(
    /// Anyone who may search the FAQ (staff and the chatbot's `service`).
    FaqReader, faq_reader
);
role_extractor!(
    /// The phone system (`telephony`).
    Telephony, telephony
);

/// SHA-256 of a token, lower-case hex: what the store keeps.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// SHA-256 of any bytes, lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A fresh random token (`mdg_` + 64 hex digits), or an error if the OS has no randomness.
pub fn new_token() -> Result<String, ApiError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
    Ok(format!("mdg_{}", hex(&buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tokens_are_distinct() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 68);
    }
}
