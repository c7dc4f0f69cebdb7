//! The server's Ed25519 host key: generated once, stored with mode 0600 (beside the SQLite
//! database, or at `--ssh-host-key FILE`), and reused on every start, so clients never see a
//! changed host key.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;

/// Why the host key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error(
        "SSH ホスト鍵 {path} を読めません: {reason}。ファイルを確かめるか --ssh-host-key で別の場所を指定してください"
    )]
    Read { path: PathBuf, reason: String },
    #[error(
        "SSH ホスト鍵 {path} を作れません: {reason}。フォルダーの権限を確かめるか --ssh-host-key で別の場所を指定してください"
    )]
    Create { path: PathBuf, reason: String },
    #[error(
        "SSH ホスト鍵 {path} は所有者以外も読めます（mode {mode:o}）。chmod 600 {path} を実行してください"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

/// Where the host key lives by default: beside a SQLite database (`DB.ssh_host_ed25519_key`),
/// or in the user's data folder for PostgreSQL.
pub fn default_path(db: &str) -> Option<PathBuf> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return dirs::data_dir().map(|d| d.join("madoguchi").join("ssh_host_ed25519_key"));
    }
    let db = db.strip_prefix("sqlite://").unwrap_or(db);
    Some(PathBuf::from(format!("{db}.ssh_host_ed25519_key")))
}

/// Loads the key at `path`, or generates and stores one when there is none.
pub fn load_or_create(path: &Path) -> Result<PrivateKey, HostKeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o600);
            if mode & 0o077 != 0 {
                return Err(HostKeyError::TooOpen { path: path.to_path_buf(), mode });
            }
            PrivateKey::from_openssh(&text)
                .map_err(|e| HostKeyError::Read { path: path.to_path_buf(), reason: e.to_string() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(HostKeyError::Read { path: path.to_path_buf(), reason: e.to_string() }),
    }
}

fn create(path: &Path) -> Result<PrivateKey, HostKeyError> {
    let fail = |reason: String| HostKeyError::Create { path: path.to_path_buf(), reason };
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| fail(format!("乱数を得られません: {e}")))?;
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let text = key.to_openssh(LineEnding::LF).map_err(|e| fail(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    // create_new: of two servers starting at once, one writes and the other reads its key.
    let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_or_create(path),
        Err(e) => return Err(fail(e.to_string())),
    };
    file.write_all(text.as_bytes()).and_then(|_| file.sync_all()).map_err(|e| fail(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_with_mode_600_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("host_key");
        let a = load_or_create(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = load_or_create(&path).expect("reuse");
        assert_eq!(a.public_key(), b.public_key());
    }

    #[test]
    fn a_key_readable_by_others_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host_key");
        load_or_create(&path).expect("create");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = load_or_create(&path).expect_err("too open");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[test]
    fn default_path_is_beside_a_sqlite_database() {
        assert_eq!(default_path("/var/lib/m.db"), Some(PathBuf::from("/var/lib/m.db.ssh_host_ed25519_key")));
    }
}
