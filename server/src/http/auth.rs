//! API keys with scopes. Keys are compared by their SHA-256 digests in constant time, so neither
//! the config nor a timing side channel gives a key away.

use super::config::{API_KEYS_ENV, KeyConfig};
use super::error::ApiError;
use crate::error_code::ErrorCode;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// What a key allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Validate,
    Verify,
    References,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Validate => "validate",
            Scope::Verify => "verify",
            Scope::References => "references",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "validate" => Ok(Scope::Validate),
            "verify" => Ok(Scope::Verify),
            "references" => Ok(Scope::References),
            other => Err(format!("unknown scope {other:?}: use validate, verify or references")),
        }
    }
}

struct Key {
    name: String,
    digest: [u8; 32],
    scopes: Vec<Scope>,
}

/// The configured keys. Empty means open access, which [`super::serve`] allows only on loopback.
pub struct ApiKeys {
    keys: Vec<Key>,
}

/// Who made a request, for the audit log.
#[derive(Debug, Clone)]
pub struct Client(pub String);

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl ApiKeys {
    /// Keys from the config file plus `SAPA_API_KEYS` in the environment.
    pub fn load(config: &[KeyConfig], env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for k in config {
            let scopes = k.scopes.iter().map(|s| Scope::parse(s)).collect::<Result<Vec<_>, _>>();
            let scopes = scopes.map_err(|e| anyhow::anyhow!("key {:?}: {e}", k.name))?;
            let digest = match (&k.key_env, &k.key_sha256) {
                (Some(var), None) => match env(var) {
                    Some(secret) if !secret.is_empty() => digest(&secret),
                    _ => anyhow::bail!("key {:?}: environment variable {var} is not set", k.name),
                },
                (None, Some(hex_digest)) => hex::decode(hex_digest.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| anyhow::anyhow!("key {:?}: key_sha256 is not 64 hex digits", k.name))?,
                _ => anyhow::bail!("key {:?}: give exactly one of key_env and key_sha256", k.name),
            };
            keys.push(Key { name: k.name.clone(), digest, scopes });
        }
        if let Some(list) = env(API_KEYS_ENV) {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let parsed = (|| {
                    let (name, rest) = entry.split_once('=')?;
                    let (secret, scopes) = rest.rsplit_once(':')?;
                    Some((name, secret, scopes))
                })();
                let Some((name, secret, scopes)) = parsed.filter(|(n, s, _)| !n.is_empty() && !s.is_empty())
                else {
                    anyhow::bail!("{API_KEYS_ENV}: entries are name=key:scope+scope");
                };
                let scopes = scopes.split('+').map(Scope::parse).collect::<Result<Vec<_>, _>>();
                let scopes = scopes.map_err(|e| anyhow::anyhow!("{API_KEYS_ENV} key {name:?}: {e}"))?;
                keys.push(Key { name: name.to_string(), digest: digest(secret), scopes });
            }
        }
        Ok(Self { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The client behind the request's key, if the key exists and carries `scope`.
    /// The key is read from `Authorization: Bearer KEY` or `X-Api-Key: KEY`, or on a WebSocket
    /// upgrade from the offered subprotocols (see [`websocket_key`]).
    pub fn authorize(&self, headers: &HeaderMap, scope: Scope) -> Result<Client, ApiError> {
        if self.keys.is_empty() {
            return Ok(Client("loopback".into()));
        }
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme is case-insensitive (RFC 9110): `Bearer`, `bearer` and `BEARER` alike.
            .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
            .map(|(_, key)| key)
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
            .map(|k| k.trim().to_string())
            .or_else(|| websocket_key(headers));
        let Some(presented) = presented.filter(|p| !p.is_empty()) else {
            return Err(ApiError::unauthorized(
                ErrorCode::MissingApiKey,
                "send the API key as `Authorization: Bearer KEY`",
            ));
        };
        let d = digest(&presented);
        // Look at every key, so the time taken does not say how far down the list a match is.
        let found = self.keys.iter().fold(None, |hit, k| if same(&k.digest, &d) { Some(k) } else { hit });
        let Some(key) = found else {
            return Err(ApiError::unauthorized(ErrorCode::InvalidApiKey, "the API key is not recognised"));
        };
        if !key.scopes.contains(&scope) {
            return Err(ApiError::forbidden(
                ErrorCode::InsufficientScope,
                format!("this key may not use the `{}` scope", scope.as_str()),
            ));
        }
        Ok(Client(key.name.clone()))
    }
}

/// The subprotocol a browser's WebSocket offers beside [`KEY_PROTOCOL_PREFIX`]`KEY`; the
/// server selects it, so the key is never echoed back.
pub const WS_PROTOCOL: &str = "sapa.v1";

/// A browser cannot set a header on a WebSocket, and a key in the URL would end in access logs
/// and history: the page offers `sapa-key.` + the key in unpadded base64url (so any key is a
/// valid protocol token) as a subprotocol, `new WebSocket(url, ["sapa.v1", "sapa-key.…"])`.
pub const KEY_PROTOCOL_PREFIX: &str = "sapa-key.";

/// The key offered as a WebSocket subprotocol, on a WebSocket upgrade only.
fn websocket_key(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let upgrade = headers.get(axum::http::header::UPGRADE).and_then(|v| v.to_str().ok());
    if !upgrade.is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket")) {
        return None;
    }
    headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(KEY_PROTOCOL_PREFIX))
        .and_then(|b64| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|k| k.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn keys() -> ApiKeys {
        let env = |k: &str| match k {
            "PORTAL" => Some("s3cret".to_string()),
            API_KEYS_ENV => Some("kiosk-7=k7:validate".to_string()),
            _ => None,
        };
        let cfg = vec![KeyConfig {
            name: "portal".into(),
            key_env: Some("PORTAL".into()),
            key_sha256: None,
            scopes: vec!["validate".into(), "verify".into()],
        }];
        ApiKeys::load(&cfg, env).unwrap()
    }

    fn with(header: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(header.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn keys_carry_their_scopes() {
        let k = keys();
        assert_eq!(k.authorize(&with("authorization", "Bearer s3cret"), Scope::Verify).unwrap().0, "portal");
        assert_eq!(k.authorize(&with("x-api-key", "k7"), Scope::Validate).unwrap().0, "kiosk-7");
        let e = k.authorize(&with("x-api-key", "k7"), Scope::Verify).unwrap_err();
        assert_eq!(e.code, "insufficient_scope");
        assert_eq!(k.authorize(&HeaderMap::new(), Scope::Validate).unwrap_err().code, "missing_api_key");
        assert_eq!(
            k.authorize(&with("x-api-key", "nope"), Scope::Validate).unwrap_err().code,
            "invalid_api_key"
        );
    }

    #[test]
    fn a_websocket_upgrade_may_offer_the_key_as_a_subprotocol_and_nothing_else_may() {
        let k = keys();
        let mut h = with("sec-websocket-protocol", "sapa.v1, sapa-key.azc"); // base64url("k7")
        h.insert("upgrade", HeaderValue::from_static("websocket"));
        assert_eq!(k.authorize(&h, Scope::Validate).unwrap().0, "kiosk-7");
        h.insert("sec-websocket-protocol", HeaderValue::from_static("sapa.v1, sapa-key.bm9wZQ"));
        assert_eq!(k.authorize(&h, Scope::Validate).unwrap_err().code, "invalid_api_key");
        // Not an upgrade: the protocol header carries no key.
        let plain = with("sec-websocket-protocol", "sapa.v1, sapa-key.azc");
        assert_eq!(k.authorize(&plain, Scope::Validate).unwrap_err().code, "missing_api_key");
    }

    #[test]
    fn a_key_without_its_secret_is_a_config_error() {
        let cfg = vec![KeyConfig {
            name: "p".into(),
            key_env: Some("UNSET".into()),
            key_sha256: None,
            scopes: vec![],
        }];
        assert!(ApiKeys::load(&cfg, |_| None).is_err());
        assert!(ApiKeys::load(&[], |_| Some("broken".into())).is_err());
    }
}
