//! The watches (モニター) this server has begun: which supervisor watches which operator's
//! console, since when. Only the bookkeeping lives here (no terminal, no frames): the consoles
//! themselves are drawn by the SSH door (`crate::ssh::watch`), which hands a watch's frames to
//! the supervisor's console only for a watch registered here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

/// One watch going on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub id: u64,
    pub operator: String,
    pub supervisor: String,
    pub from: DateTime<Utc>,
}

/// The watches of this process, by id.
#[derive(Debug, Default)]
pub struct Watches {
    open: Mutex<HashMap<u64, Watch>>,
    next: AtomicU64,
}

impl Watches {
    /// Registers a watch and returns it.
    pub fn begin(&self, operator: &str, supervisor: &str, from: DateTime<Utc>) -> Watch {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let w = Watch { id, operator: operator.to_string(), supervisor: supervisor.to_string(), from };
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, w.clone());
        w
    }

    /// Forgets a watch and returns it (`None` when it had ended already).
    pub fn end(&self, id: u64) -> Option<Watch> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id)
    }

    pub fn get(&self, id: u64) -> Option<Watch> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&id).cloned()
    }

    /// Who watches `operator` now (the most recent watch), if anyone.
    pub fn watcher_of(&self, operator: &str) -> Option<String> {
        let open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open.values().filter(|w| w.operator == operator).max_by_key(|w| w.id).map(|w| w.supervisor.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_begin_and_end_once() {
        let w = Watches::default();
        let a = w.begin("yamada", "sato", Utc::now());
        let b = w.begin("yamada", "suzuki", Utc::now());
        assert_ne!(a.id, b.id);
        assert_eq!(w.watcher_of("yamada").as_deref(), Some("suzuki"));
        assert_eq!(w.end(b.id).map(|x| x.supervisor), Some("suzuki".into()));
        assert_eq!(w.end(b.id), None);
        assert_eq!(w.watcher_of("yamada").as_deref(), Some("sato"));
        assert_eq!(w.get(a.id).map(|x| x.operator), Some("yamada".into()));
        assert_eq!(w.watcher_of("nobody"), None);
    }
}
