//! Keeps secrets out of every report and log line.
//!
//! Two nets, because either alone misses something: the harness registers
//! every secret it handles (passwords from the target file, tokens it received,
//! TOTP keys), and any text it prints has those replaced; on top of that,
//! headers and JSON fields that carry secrets by name are masked even when the
//! value was never registered (a token a broken server invented, say).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

pub const MASK: &str = "<redacted>";

/// Header names whose values are always secret.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "secretkey",
    "x-api-key",
];

/// JSON field names whose string values are always secret: masked in every
/// report, and registered as secrets when a response carries them.
const SECRET_FIELDS: &[&str] = &[
    "token",
    "password",
    "new_password",
    "newpassword",
    "key",
    "qr",
    "apikey",
    "api_key",
    "jwttoken",
    "refreshtoken",
    "secretkey",
    "access_token",
];

/// Query parameters whose values are always secret.
const SECRET_PARAMS: &[&str] = &["access_token", "auth", "api_key", "token"];

/// The set of secret strings seen so far in a run; cheap to clone and share.
#[derive(Clone, Default, Debug)]
pub struct Secrets {
    known: Arc<Mutex<BTreeSet<String>>>,
}

impl Secrets {
    /// Remembers `value` so that every later report masks it. Values shorter than
    /// four characters are not registered: masking every "a" would ruin the report.
    pub fn register(&self, value: &str) {
        if value.len() >= 4 {
            self.known
                .lock()
                .expect("secret set lock")
                .insert(value.to_owned());
        }
    }

    /// `text` with every registered secret, and every secret-named JSON field, masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest first, so a secret that contains another is masked whole.
        let known = self.known.lock().expect("secret set lock");
        let mut secrets: Vec<&String> = known.iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            out = out.replace(s.as_str(), MASK);
            let escaped = serde_json::to_string(s).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            if escaped != s {
                out = out.replace(escaped, MASK);
            }
        }
        drop(known);
        redact_json_fields(&out)
    }

    /// A header value as it may be shown.
    pub fn redact_header(&self, name: &str, value: &str) -> String {
        if is_secret_header(name) {
            mask_header_value(name, value)
        } else {
            self.redact(value)
        }
    }

    /// A URL as it may be shown: secret query parameters masked.
    pub fn redact_url(&self, url: &str) -> String {
        self.redact(&redact_query(url))
    }
}

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// Keeps the scheme or cookie name, masks the secret part.
fn mask_header_value(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MASK}"),
            None => MASK.to_owned(),
        },
        "cookie" => value
            .split(';')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) => format!("{}={MASK}", k.trim()),
                None => MASK.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => match value.split_once('=') {
            Some((k, rest)) => match rest.split_once(';') {
                Some((_, attrs)) => format!("{k}={MASK};{attrs}"),
                None => format!("{k}={MASK}"),
            },
            None => MASK.to_owned(),
        },
        _ => MASK.to_owned(),
    }
}

/// Masks the values of secret query parameters in a URL or path.
pub fn redact_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) => {
                format!("{k}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// Masks the string values of secret-named fields wherever they sit in a JSON text.
/// Text that is not JSON is returned unchanged.
fn redact_json_fields(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut value) if value.is_object() || value.is_array() => {
            if mask_fields(&mut value) {
                serde_json::to_string(&value).unwrap_or_else(|_| text.to_owned())
            } else {
                text.to_owned()
            }
        }
        _ => text.to_owned(),
    }
}

/// Whether a JSON field of this name holds a secret (any case: `JwtToken`, `apikey`).
pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name.to_ascii_lowercase().as_str())
}

fn mask_fields(value: &mut serde_json::Value) -> bool {
    let mut changed = false;
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_field(k) && v.is_string() {
                    if v.as_str() != Some(MASK) && v.as_str() != Some("") {
                        *v = serde_json::Value::String(MASK.to_owned());
                        changed = true;
                    }
                } else {
                    changed |= mask_fields(v);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                changed |= mask_fields(v);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_everywhere() {
        let s = Secrets::default();
        s.register("hunter2-password");
        let out = s.redact("login with hunter2-password failed");
        assert_eq!(out, format!("login with {MASK} failed"));
    }

    #[test]
    fn secret_fields_are_masked_even_unregistered() {
        let s = Secrets::default();
        let out = s.redact(r#"{"needsSecondToken":false,"status":200,"token":"abc123"}"#);
        assert!(!out.contains("abc123"), "{out}");
        assert!(out.contains("needsSecondToken"));
    }

    #[test]
    fn headers_keep_their_scheme() {
        let s = Secrets::default();
        assert_eq!(
            s.redact_header("Authorization", "Bearer xyz"),
            format!("Bearer {MASK}")
        );
        assert_eq!(
            s.redact_header("Cookie", "MOJITO_SESSION_ID_V2=xyz; a=b"),
            format!("MOJITO_SESSION_ID_V2={MASK}; a={MASK}")
        );
    }

    #[test]
    fn query_tokens_are_masked() {
        assert_eq!(
            redact_query("/api/authentication/user?access_token=xyz&x=1"),
            format!("/api/authentication/user?access_token={MASK}&x=1")
        );
    }
}
