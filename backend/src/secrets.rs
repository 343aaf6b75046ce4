//! Secrets at rest (MFA seeds now, connector credentials later) are sealed
//! with XChaCha20-Poly1305 under a key from configuration. The key file is
//! created on first start; without it the sealed secrets are lost, so the
//! server says to back it up.

use std::{fs, io::Write, path::Path};

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use rand::RngCore;

use crate::error::AppError;

const NONCE: usize = 24;

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// A box with a fresh random key (tests, or a server whose key is new).
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self::new(key)
    }

    /// Read the key file, or create it (mode 0600) when missing. Returns the
    /// box and whether the key was just created.
    pub fn from_key_file(path: &Path) -> Result<(Self, bool), String> {
        match fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| format!("{} is not a 32-byte key", path.display()))?;
                Ok((Self::new(key), false))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let mut options = fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                file.write_all(&key)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok((Self::new(key), true))
            }
            Err(error) => Err(format!("cannot read {}: {error}", path.display())),
        }
    }

    /// nonce || ciphertext
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, AppError> {
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .map_err(|_| AppError::internal("sealing a secret failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.len() < NONCE {
            return Err(AppError::internal("sealed secret too short"));
        }
        let (nonce, body) = sealed.split_at(NONCE);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| {
                AppError::internal("a sealed secret does not open with this key (wrong key file?)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let first = SecretBox::random();
        let sealed = first.seal(b"seed").unwrap();
        assert_ne!(&sealed[NONCE..], b"seed");
        assert_eq!(first.open(&sealed).unwrap(), b"seed");
        assert!(SecretBox::random().open(&sealed).is_err());
        assert!(format!("{first:?}").contains("redacted"));
    }

    #[test]
    fn the_key_file_is_created_once_with_owner_only_access() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.key");
        let (first, created) = SecretBox::from_key_file(&path).unwrap();
        assert!(created);
        let sealed = first.seal(b"x").unwrap();
        let (again, created) = SecretBox::from_key_file(&path).unwrap();
        assert!(!created);
        assert_eq!(again.open(&sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
