//! `/v1/ssh-keys` and `/v1/ssh-sessions` (supervisors): the public keys operators log in with
//! over SSH, and the sessions open now
//! (`madoguchi serve --ssh-listen`). A removed key's open sessions end within a second (the
//! SSH server's sweep notices; see `crate::ssh`).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{NewSshKey, SshKey, SshSession};
use crate::server::auth::Supervisor;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase;

/// `?fingerprint=` of `DELETE /v1/ssh-keys` (a fingerprint has `/` and `+`: not a path).
#[derive(Debug, Deserialize, IntoParams)]
pub struct FingerprintQuery {
    /// `SHA256:…`, as `ssh-keygen -lf KEY.pub` prints it.
    pub fingerprint: String,
}

/// Registers a public key for an operator.
#[utoipa::path(post, path = "/v1/ssh-keys", tag = "admin", request_body = NewSshKey,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The key as registered", body = SshKey),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Not a usable public key, an unknown operator, a key already registered, a field too long, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn add(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(req): AppJson<NewSshKey>,
) -> Result<AppJson<SshKey>, ApiError> {
    Ok(AppJson(usecase::ssh_keys::add(&state, &caller, req).await?))
}

/// Every registered key.
#[utoipa::path(get, path = "/v1/ssh-keys", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Registered keys", body = [SshKey]),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
    ))]
pub async fn list(
    Supervisor(_caller): Supervisor,
    State(state): State<AppState>,
) -> Result<AppJson<Vec<SshKey>>, ApiError> {
    Ok(AppJson(usecase::ssh_keys::list(&state).await?))
}

/// Removes a key; sessions opened with it end.
#[utoipa::path(delete, path = "/v1/ssh-keys", tag = "admin", params(FingerprintQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The removed key", body = SshKey),
        (status = 400, description = "No fingerprint given", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 404, description = "No such key", body = crate::api::ErrorBody),
    ))]
pub async fn remove(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<FingerprintQuery>,
) -> Result<AppJson<SshKey>, ApiError> {
    Ok(AppJson(usecase::ssh_keys::remove(&state, &caller, &q.fingerprint).await?))
}

/// The console sessions open over this server's SSH front door.
#[utoipa::path(get, path = "/v1/ssh-sessions", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Open SSH sessions, oldest first", body = [SshSession]),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
    ))]
pub async fn sessions(
    Supervisor(_caller): Supervisor,
    State(state): State<AppState>,
) -> Result<AppJson<Vec<SshSession>>, ApiError> {
    Ok(AppJson(usecase::ssh_keys::sessions(&state)))
}
