//! Templates at rest in the shared store are sealed with AES-256-GCM (ISO/IEC 24745:
//! confidentiality and renewability of biometric references).
//!
//! Why a key ring and a key id per row: a key is renewed without downtime. New writes use the
//! first key of `SAPA_STORE_KEYS`; rows sealed with an older key still open while that key is
//! listed, and `sapa references rekey` re-seals them with the current one, after which the old key
//! is dropped from the environment. The row's IIN and model are the associated data, so a sealed
//! template copied into another person's row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use std::fmt;

/// `id:base64-of-32-bytes[,id:base64…]`: the first key seals, every listed key opens.
pub const KEYS_ENV: &str = "SAPA_STORE_KEYS";

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("{KEYS_ENV} is not set: the shared store keeps templates encrypted and needs a key")]
    NoKeys,
    #[error("{KEYS_ENV}: {0}")]
    BadKeySpec(String),
    #[error("the row was sealed with key {0:?}, which {KEYS_ENV} does not list")]
    UnknownKey(String),
    #[error("a sealed value does not open with its key: damaged or moved")]
    Tampered,
    #[error("no randomness for a nonce")]
    Rng,
}

/// The keys of the store. `Debug` names the key ids, never the keys.
pub struct Keyring {
    keys: Vec<(String, Aes256Gcm)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}

impl Keyring {
    /// The ring in [`KEYS_ENV`].
    pub fn from_env() -> Result<Self, SealError> {
        match std::env::var(KEYS_ENV) {
            Ok(spec) if !spec.trim().is_empty() => Self::parse(&spec),
            _ => Err(SealError::NoKeys),
        }
    }

    /// Parses `id:base64,id:base64`; the first is the current key.
    pub fn parse(spec: &str) -> Result<Self, SealError> {
        let bad = |m: String| SealError::BadKeySpec(m);
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for (n, item) in spec.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            let (id, b64) =
                item.split_once(':').ok_or_else(|| bad(format!("key {} has no `id:` prefix", n + 1)))?;
            let valid_id = !id.is_empty()
                && id.len() <= 32
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_id {
                return Err(bad(format!("key {} has an invalid id (1-32 of A-Z a-z 0-9 - _)", n + 1)));
            }
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| bad(format!("key {id:?} is not base64")))?;
            if raw.len() != 32 {
                return Err(bad(format!("key {id:?} is {} bytes, not 32", raw.len())));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(bad(format!("key id {id:?} is listed twice")));
            }
            let cipher = Aes256Gcm::new_from_slice(&raw).map_err(|_| bad(format!("key {id:?} rejected")))?;
            keys.push((id.to_string(), cipher));
        }
        if keys.is_empty() {
            return Err(SealError::NoKeys);
        }
        Ok(Keyring { keys })
    }

    /// The id new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// `nonce || ciphertext+tag` under the current key, bound to `aad`.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Rng)?;
        let ct = self.keys[0]
            .1
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| SealError::Tampered)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a value [`seal`](Self::seal)ed under `key_id` with the same `aad`.
    pub fn open(&self, key_id: &str, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Tampered);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| SealError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn seals_opens_and_binds_the_row() {
        let ring = Keyring::parse(K1).unwrap();
        let sealed = ring.seal(b"template", b"row-a").unwrap();
        assert!(!sealed.windows(8).any(|w| w == b"template"));
        assert_eq!(ring.open("k1", &sealed, b"row-a").unwrap(), b"template");
        assert!(matches!(ring.open("k1", &sealed, b"row-b"), Err(SealError::Tampered)));
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(matches!(ring.open("k1", &flipped, b"row-a"), Err(SealError::Tampered)));
    }

    #[test]
    fn rotation_keeps_old_rows_readable_while_the_old_key_is_listed() {
        let old = Keyring::parse(K1).unwrap();
        let sealed = old.seal(b"t", b"a").unwrap();
        let rotated = Keyring::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.open("k1", &sealed, b"a").unwrap(), b"t");
        let dropped = Keyring::parse(K2).unwrap();
        assert!(matches!(dropped.open("k1", &sealed, b"a"), Err(SealError::UnknownKey(_))));
    }

    #[test]
    fn bad_specs_are_refused_and_debug_hides_keys() {
        assert!(Keyring::parse("").is_err());
        assert!(Keyring::parse("nokey").is_err());
        assert!(Keyring::parse("k1:c2hvcnQ=").is_err());
        assert!(Keyring::parse(&format!("{K1},{K1}")).is_err());
        let dbg = format!("{:?}", Keyring::parse(K1).unwrap());
        assert!(dbg.contains("k1") && !dbg.contains("AAEC"), "{dbg}");
    }
}
