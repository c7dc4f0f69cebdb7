//! One line of an OpenSSH public key file (`ssh-ed25519 AAAA… comment`) → what the key
//! table stores: the canonical key, its fingerprint, algorithm and comment. Only algorithms
//! the server verifies are accepted: Ed25519 and ECDSA (RSA is not built in).

use russh::keys::{Algorithm, PublicKey};

use super::session::fingerprint;

/// A public key ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedKey {
    /// The key without its comment, as OpenSSH writes it.
    pub openssh: String,
    pub fingerprint: String,
    pub algorithm: String,
    pub comment: String,
}

/// Parses one public-key line; the error is a sentence saying what to do.
pub fn parse(line: &str) -> Result<AuthorizedKey, String> {
    let line = line.trim();
    if line.is_empty() {
        return Err(
            "公開鍵が空です。id_ed25519.pub の1行（ssh-ed25519 AAAA… コメント）をそのまま指定してください"
                .into(),
        );
    }
    if line.contains("PRIVATE KEY") {
        return Err("これは秘密鍵です。秘密鍵は渡さず、公開鍵（.pub ファイルの1行）を指定してください".into());
    }
    let key = PublicKey::from_openssh(line).map_err(|e| {
        format!("公開鍵として読めません（{e}）。id_ed25519.pub の1行（ssh-ed25519 AAAA… コメント）をそのまま指定してください")
    })?;
    match key.algorithm() {
        Algorithm::Ed25519 | Algorithm::Ecdsa { .. } => {}
        other => {
            return Err(format!(
                "{} の鍵には対応していません。ssh-keygen -t ed25519 で鍵を作って、その .pub を登録してください",
                other.as_str()
            ));
        }
    }
    let comment = key.comment().to_string();
    let mut bare = key.clone();
    bare.set_comment("");
    let openssh = bare.to_openssh().map_err(|e| e.to_string())?.trim().to_string();
    Ok(AuthorizedKey {
        openssh,
        fingerprint: fingerprint(&key),
        algorithm: key.algorithm().as_str().to_string(),
        comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throwaway key made with `ssh-keygen -t ed25519 -C sato@pc`; `ssh-keygen -lf` prints
    // the fingerprint below for it.
    const SATO: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN57v0I2ZM91HZy74E5uRCiycWujFVmenuOTX/N16D+h sato@pc";

    #[test]
    fn an_ed25519_line_gives_fingerprint_algorithm_and_comment() {
        let k = parse(SATO).expect("parse");
        assert_eq!(k.algorithm, "ssh-ed25519");
        assert_eq!(k.comment, "sato@pc");
        assert_eq!(k.fingerprint, "SHA256:b36kR6to6+/lnHLpANP9SnAfiMb9YjBxKr27FO6wIqo");
        assert!(!k.openssh.contains("sato@pc"));
        assert_eq!(parse(&format!("  {SATO}\n")).expect("trimmed").fingerprint, k.fingerprint);
    }

    #[test]
    fn mistakes_say_what_to_do() {
        assert!(parse("").unwrap_err().contains(".pub"));
        assert!(parse("-----BEGIN OPENSSH PRIVATE KEY-----").unwrap_err().contains("秘密鍵"));
        assert!(parse("ssh-ed25519 notbase64").unwrap_err().contains("読めません"));
    }
}
