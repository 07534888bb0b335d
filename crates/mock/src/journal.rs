//! The request journal: every request a mock received, in order.

use std::fmt;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method};

use authconform_reference::redact::{self, Secrets};

/// One request as the mock received it. Its `Debug` masks the values of
/// secret headers (Authorization, Cookie, SecretKey, …), secret query
/// parameters (`access_token`, `auth`, …) and secret JSON fields (`password`,
/// `token`, `key`, …), so a failing assertion never prints a credential; the
/// fields themselves hold the real values, for the test to check.
#[derive(Clone)]
pub struct ReceivedRequest {
    /// The request's method.
    pub method: Method,
    /// The path, from the server root (`/api/authentication/login`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Every header as received (secret ones too: `Debug` masks them).
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets = Secrets::default();
        let target = match &self.query {
            Some(q) => redact::redact_query(&format!("{}?{q}", self.path)),
            None => self.path.clone(),
        };
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (
                    name.as_str().to_owned(),
                    secrets.redact_header(name.as_str(), &value),
                )
            })
            .collect();
        let body = redact_xml(&redact_form(&secrets.redact(&self.body_text())));
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("target", &target)
            .field("headers", &headers)
            .field("body", &body)
            .finish()
    }
}

/// A form-encoded body's secret fields masked too (JSON ones are by `Secrets::redact`).
fn redact_form(body: &str) -> String {
    if body.trim_start().starts_with(['{', '[']) || !body.contains('=') {
        return body.to_owned();
    }
    let masked = redact::redact_query(&format!("?{body}"));
    let masked = masked.strip_prefix('?').unwrap_or(&masked);
    masked
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_form_field(k) => format!("{k}={}", redact::MASK),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An XML body's secret elements masked (LiquidFiles' `<password>`,
/// `<api_key>`): the text between `<name>` and `</name>` of every element
/// whose name is secret. Other bodies are returned unchanged.
fn redact_xml(body: &str) -> String {
    if !body.trim_start().starts_with('<') {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let tag_end = after.find('>').map(|e| open + 1 + e + 1);
        let close = format!("</{name}");
        match tag_end {
            Some(content) if !name.is_empty() && is_secret_form_field(name) => {
                out.push_str(&rest[..content]);
                match rest[content..].find(&close) {
                    Some(c) => {
                        out.push_str(redact::MASK);
                        rest = &rest[content + c..];
                    }
                    None => {
                        out.push_str(redact::MASK);
                        rest = "";
                    }
                }
            }
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_secret_form_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "key", "secret"]
        .iter()
        .any(|s| name.contains(s))
}

/// The journal shared by the server task and the handle.
#[derive(Clone, Default)]
pub(crate) struct Journal {
    entries: Arc<Mutex<Vec<ReceivedRequest>>>,
}

impl Journal {
    pub(crate) fn push(&self, request: ReceivedRequest) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
    }

    pub(crate) fn snapshot(&self) -> Vec<ReceivedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn debug_masks_every_secret_place() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer tok-123456"),
        );
        headers.insert(
            "cookie",
            HeaderValue::from_static("MOJITO_SESSION_ID_V2=ck-987654"),
        );
        headers.insert("secretkey", HeaderValue::from_static("sk-abcdef"));
        let json = ReceivedRequest {
            method: Method::POST,
            path: "/api/authentication/login".into(),
            query: Some("access_token=q-555555&x=1".into()),
            headers,
            body: br#"{"username":"alice","password":"pw-secret-1"}"#.to_vec(),
        };
        let shown = format!("{json:?}");
        for secret in [
            "tok-123456",
            "ck-987654",
            "sk-abcdef",
            "q-555555",
            "pw-secret-1",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("alice") && shown.contains("x=1"), "{shown}");

        let form = ReceivedRequest {
            body: b"username=alice&password=pw-form-2&rememberMe=true".to_vec(),
            headers: HeaderMap::new(),
            query: None,
            ..json
        };
        let shown = format!("{form:?}");
        assert!(!shown.contains("pw-form-2"), "{shown}");
        assert!(shown.contains("rememberMe=true"), "{shown}");

        let xml = ReceivedRequest {
            body: b"<?xml version=\"1.0\"?>\n<user><email>a@example.com</email><password>pw-xml-3&#38;</password></user>".to_vec(),
            headers: HeaderMap::new(),
            query: None,
            ..form
        };
        let shown = format!("{xml:?}");
        assert!(!shown.contains("pw-xml-3"), "{shown}");
        assert!(shown.contains("a@example.com"), "{shown}");
        for junk in ["<", "<password", "<<>>", "<api_key/>k", "<é>"] {
            let _ = redact_xml(junk);
        }
        assert_eq!(
            redact_xml("<password>pw-4"),
            format!("<password>{}", redact::MASK)
        );
    }
}
