//! The LiquidFiles calls the steps make, as the documentation describes them,
//! and the reading of the HTML pages a browser would see. No assertions.
//! Paths are relative to the root of the installation.
//!
//! HTML is read with the scanner of `reference/liquidfiles/page.rs` (shared
//! with the mock); what it cannot find is `None`, and the step says what was
//! missing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;

use crate::harness::exchange::Call;
pub use crate::reference::liquidfiles::page::{
    Form, Tag, code_form, element, element_text, form, forms, local_forms, login_form, over_limits,
    tags, unescape, user_input, without_hidden_values, xml_element,
};

pub const LOGIN: &str = "/login";
pub const SESSION_API: &str = "/session/api";
/// The spec's `@ext` probe operation; the target's `liquidfiles.probe_path` is where it goes.
pub const ACCOUNT: &str = "/account";

/// How a password is written into the XML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escaping {
    /// Every character outside [A-Za-z0-9] as `&#NN;` (the documentation's way).
    Decimal,
    /// Every character outside [A-Za-z0-9] as `&#xNN;`.
    Hex,
    /// Only what XML requires (`&`, `<`), everything else literal.
    Minimal,
    /// As it is: a raw `&` makes the document not well-formed.
    Raw,
}

pub fn escape_password(password: &str, escaping: Escaping) -> String {
    let mut out = String::new();
    for c in password.chars() {
        match escaping {
            _ if c.is_ascii_alphanumeric() => out.push(c),
            Escaping::Decimal => out.push_str(&format!("&#{};", c as u32)),
            Escaping::Hex => out.push_str(&format!("&#x{:x};", c as u32)),
            Escaping::Minimal => match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                c => out.push(c),
            },
            Escaping::Raw => out.push(c),
        }
    }
    out
}

/// The documented request body, with the password already escaped.
pub fn login_document(email: &str, escaped_password: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{}</email>\n  <password>{escaped_password}</password>\n</user>\n",
        escape_password(email, Escaping::Minimal)
    )
}

/// `POST /login` with `document` as `content_type` (the seed sends text/xml).
pub fn xml_login(document: &str, content_type: &str) -> Call {
    Call::new(Method::POST, LOGIN).raw(content_type, document.as_bytes().to_vec())
}

/// `POST /login` of the v3 JSON API: `{"user":{"email":…,"password":…}}`
/// as LiquidFiles' own CLI sends it.
pub fn json_login(email: &str, password: &str) -> Call {
    json_login_body(serde_json::json!({ "user": { "email": email, "password": password } }))
}

/// `POST /login` with any JSON body (or text sent as JSON).
pub fn json_login_body(body: serde_json::Value) -> Call {
    Call::new(Method::POST, LOGIN).json(body)
}

/// The key of a JSON API answer, `user.api_key`.
pub fn json_api_key(body: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .pointer("/user/api_key")?
        .as_str()
        .map(str::to_owned)
}

/// Whether a JSON answer hands out a key anywhere in its structure: a
/// non-empty string under an `api_key` field at any depth (not the word in
/// an error message, which a conforming refusal may well contain).
pub fn json_holds_key(body: &str) -> bool {
    fn holds(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| {
                (k == "api_key" && v.as_str().is_some_and(|s| !s.is_empty())) || holds(v)
            }),
            serde_json::Value::Array(items) => items.iter().any(holds),
            _ => false,
        }
    }
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| holds(&v))
}

/// `GET /session/api` with these query parameters.
pub fn login_page(query: &[(&str, &str)]) -> Call {
    let mut call = Call::new(Method::GET, SESSION_API);
    for (k, v) in query {
        call = call.query(k, v);
    }
    call
}

/// The `@ext` probe with the key as the HTTP Basic user name.
pub fn account(probe_path: &str, api_key: &str) -> Call {
    Call::new(Method::GET, ACCOUNT).path(probe_path).header(
        "Authorization",
        &format!("Basic {}", STANDARD.encode(format!("{api_key}:"))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapings() {
        assert_eq!(
            escape_password("aBcD0123&$", Escaping::Decimal),
            "aBcD0123&#38;&#36;"
        );
        assert_eq!(escape_password("a&$", Escaping::Hex), "a&#x26;&#x24;");
        assert_eq!(escape_password("a&$<", Escaping::Minimal), "a&amp;$&lt;");
    }

    #[test]
    fn a_key_is_a_field_not_a_word_in_a_message() {
        assert!(json_holds_key(r#"{"user":{"api_key":"k3y"}}"#));
        assert!(json_holds_key(
            r#"{"errors":[],"data":[{"api_key":"k3y"}]}"#
        ));
        assert!(!json_holds_key(
            r#"{"errors":["no api_key for a wrong password"]}"#
        ));
        assert!(!json_holds_key(r#"{"user":{"api_key":""}}"#));
        assert!(!json_holds_key("not json"));
    }
}
