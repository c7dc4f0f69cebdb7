//! The console sessions open over this process's SSH front door (`crate::ssh`), for
//! `GET /v1/ssh-sessions`.

use std::collections::HashMap;
use std::sync::RwLock;

use super::state::AppState;
use crate::api::SshSession;

/// Open SSH console sessions, by session id.
#[derive(Default)]
pub(super) struct SshSessions {
    open: RwLock<HashMap<u64, SshSession>>,
}

impl AppState {
    /// Records an open SSH console session (see `crate::ssh`).
    pub fn ssh_session_opened(&self, id: u64, session: SshSession) {
        if let Ok(mut s) = self.ssh.open.write() {
            s.insert(id, session);
        }
    }

    /// Forgets an SSH session that has ended.
    pub fn ssh_session_closed(&self, id: u64) {
        if let Ok(mut s) = self.ssh.open.write() {
            s.remove(&id);
        }
    }

    /// How many SSH console sessions are open.
    pub fn ssh_sessions_count(&self) -> usize {
        self.ssh.open.read().map(|s| s.len()).unwrap_or(0)
    }

    /// The open SSH console sessions, oldest first.
    pub fn ssh_sessions(&self) -> Vec<SshSession> {
        let mut v: Vec<SshSession> =
            self.ssh.open.read().map(|s| s.values().cloned().collect()).unwrap_or_default();
        v.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.operator.cmp(&b.operator)));
        v
    }
}
