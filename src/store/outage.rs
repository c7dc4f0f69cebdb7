//! Which store failures are the database being away (down, restarting, unreachable, its disk
//! full) rather than a bug: those are answered 503 with `Retry-After`, since the same request
//! succeeds once the database is back, and they make `/readyz` say not ready. Everything else
//! stays a 500.

use super::StoreError;

/// Why the database cannot serve a request now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No connection could be had: the server is down, restarting or unreachable, or every
    /// connection is busy past the wait.
    Unreachable,
    /// Its disk (or its size limit) is full: reads work, writes do not.
    DiskFull,
    /// Its disk refuses writes for another reason (an I/O error).
    DiskError,
}

impl Outage {
    /// The operator-facing reason.
    pub fn message(self) -> &'static str {
        match self {
            Outage::Unreachable => {
                "データベースに接続できません（再起動中か停止中です）。少し待ってからやり直してください。変更は行われていません"
            }
            Outage::DiskFull => {
                "データベースのディスクが一杯のため、書き込めません。管理者が空きを作ると自動的に書き込めるようになります。変更は行われていません"
            }
            Outage::DiskError => {
                "データベースのディスクに書き込めません。少し待ってからやり直し、続くなら管理者に連絡してください。変更は行われていません"
            }
        }
    }
}

impl StoreError {
    /// The outage this error shows, if it is one.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            StoreError::Database(e) => outage_of(e),
            _ => None,
        }
    }
}

/// The outage a sqlx error shows: the pool could not get a connection, the connection broke,
/// or the database answered with a code meaning it cannot serve now (SQLite's full disk,
/// I/O error or busy database; PostgreSQL's connection, shutdown and resource classes).
pub fn outage_of(e: &sqlx::Error) -> Option<Outage> {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => Some(Outage::Unreachable),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            match code.parse::<i32>() {
                // SQLite: extended result codes, the primary code in the low byte.
                Ok(n) => match n & 0xff {
                    13 => Some(Outage::DiskFull),
                    10 => Some(Outage::DiskError),
                    5 | 6 => Some(Outage::Unreachable),
                    _ => None,
                },
                // PostgreSQL: SQLSTATE classes.
                Err(_) => postgres_outage(&code),
            }
        }
        _ => None,
    }
}

fn postgres_outage(sqlstate: &str) -> Option<Outage> {
    match sqlstate {
        "53100" => Some(Outage::DiskFull),
        "58030" => Some(Outage::DiskError),
        // connection exceptions; admin/crash shutdown, cannot connect now; out of memory,
        // too many connections.
        s if s.starts_with("08") || s.starts_with("57P") || s.starts_with("53") => Some(Outage::Unreachable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_codes_of_an_absent_or_full_server_are_outages_and_constraints_are_not() {
        assert_eq!(postgres_outage("57P01"), Some(Outage::Unreachable));
        assert_eq!(postgres_outage("08006"), Some(Outage::Unreachable));
        assert_eq!(postgres_outage("53100"), Some(Outage::DiskFull));
        assert_eq!(postgres_outage("23505"), None);
        assert_eq!(postgres_outage("40001"), None);
    }

    #[test]
    fn a_pool_that_cannot_connect_is_an_outage() {
        assert_eq!(outage_of(&sqlx::Error::PoolTimedOut), Some(Outage::Unreachable));
        assert_eq!(outage_of(&sqlx::Error::RowNotFound), None);
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(StoreError::Database(io).outage(), Some(Outage::Unreachable));
    }
}
