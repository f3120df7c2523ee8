//! Secrets at rest. TLS keys and stack variables and files are sealed (ChaCha20-Poly1305)
//! with a key kept outside the database, so a copy of the database — a backup, a stolen file —
//! holds no credentials. Values written before sealing existed are read as they are and
//! sealed at the next start.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::{Result, StoreError};

/// What a sealed value starts with in the database.
const SEALED: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// The 256-bit key values are sealed with.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        Self(ChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// A key written as base64 (44 characters), as [`to_base64`](Self::to_base64) writes it.
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|err| StoreError::Sealing(format!("the secret key is not base64: {err}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            StoreError::Sealing(format!(
                "the secret key has {} bytes; it needs 32",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

#[derive(Clone)]
pub(crate) struct Sealer(ChaCha20Poly1305);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub(crate) fn new(key: &SecretKey) -> Self {
        Self(ChaCha20Poly1305::new(Key::from_slice(&key.0)))
    }

    pub(crate) fn seal(&self, plain: &str) -> Result<String> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| StoreError::Sealing("sealing a value failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!(
            "{SEALED}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// The value `stored` holds; values written before sealing are taken as they are.
    pub(crate) fn open(&self, stored: &str) -> Result<String> {
        let Some(encoded) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_owned());
        };
        let wrong = || {
            StoreError::Sealing(
                "a sealed value cannot be opened: this is not the secret key it was sealed with \
                 (FLOTILLA_SECRET_KEY, or secret.key in the data directory)"
                    .into(),
            )
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }

    pub(crate) fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_sealed_and_opened_only_with_their_key() {
        let key = SecretKey::generate();
        let sealer = Sealer::new(&key);
        let sealed = sealer.seal("-----BEGIN PRIVATE KEY-----").expect("seal");
        assert!(Sealer::is_sealed(&sealed) && !sealed.contains("PRIVATE"));
        assert_ne!(
            sealed,
            sealer.seal("-----BEGIN PRIVATE KEY-----").expect("seal")
        );
        assert_eq!(
            sealer.open(&sealed).expect("open"),
            "-----BEGIN PRIVATE KEY-----"
        );
        assert_eq!(
            sealer.open("plain, from before").expect("open"),
            "plain, from before"
        );
        let other = Sealer::new(&SecretKey::generate());
        assert!(other.open(&sealed).is_err());
        let again = SecretKey::from_base64(&key.to_base64()).expect("key");
        assert_eq!(
            Sealer::new(&again).open(&sealed).expect("open"),
            "-----BEGIN PRIVATE KEY-----"
        );
        assert!(SecretKey::from_base64("c2hvcnQ=").is_err());
    }
}
