//! `/v1/events`: server-sent events of [`ServerEvent`] so consoles see each other's changes,
//! and an operator's consoles (only theirs) see the screen pops of the calls they take.
//! Each subscriber reads the broadcast channel; a subscriber too slow to keep up skips what
//! it missed (the console re-reads the open institution anyway). Streams end on shutdown.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::auth::Staff;
use super::error::ApiError;
use super::state::AppState;

/// The stream of changes, with a keep-alive comment every 15 seconds.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream; each `data:` is a ServerEvent as JSON",
            content_type = "text/event-stream", body = crate::api::ServerEvent),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not subscribe", body = crate::api::ErrorBody),
    ))]
pub async fn events(
    Staff(caller): Staff,
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (me, role) = (caller.name, caller.role);
    // The operator's campaign leases end with this stream (their console closed).
    let leases = super::usecase::campaigns::LeaseGuard::new(state.clone(), me.clone());
    let stream = BroadcastStream::new(state.events.subscribe())
        .filter_map(move |item| {
            let _held = &leases;
            let event = item.ok().filter(|e| e.is_for_role(&me, role));
            async move {
                let event = event?;
                Event::default().json_data(&event).ok().map(Ok)
            }
        })
        .take_until(state.shutdown_signal());
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
