//! The CA Live API Creator calls the steps make, as the documentation
//! describes them: one function per payload of `@authentication` and per way
//! of carrying an auth token, no assertions. Paths are relative to the API's
//! base URL (`…/rest/default/demo/v1`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::exchange::Call;

pub const AUTHENTICATION: &str = "/@authentication";
/// The spec's probe operation; the target's `lac.probe_path` is where it is sent.
pub const PROBE: &str = "/probe";

/// The documented Authorization scheme.
pub const SCHEME: &str = "CALiveAPICreator";
/// The URL parameter of an auth token on GET by default (the product's; the
/// documentation's example lost it): `lac.url_param` in the target file.
pub const URL_PARAM: &str = "auth";
/// The documented query flag, exactly: case-sensitive, with the `!`.
pub const PASSWORD_CHANGE_FLAG: &str = "?enablePasswordChange!";

/// Where a call to a resource carries its auth token; a step reads it from
/// the feature's words ("the Authorization header", "the URL").
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter, strum::EnumString)]
#[param(name = "transport", regex = "the Authorization header|the URL")]
pub enum Transport {
    /// `Authorization: CALiveAPICreator <apikey>:1`
    #[strum(serialize = "the Authorization header")]
    Header,
    /// `?auth=<apikey>:1`
    #[strum(serialize = "the URL")]
    Url,
}

/// `<apikey>:1`, as both transports carry it (the `:1` is documented, unexplained).
pub fn credential(apikey: &str) -> String {
    format!("{apikey}:1")
}

/// `{"username","password"}`: a sign-on.
pub fn sign_on(username: &str, password: &str) -> Call {
    Call::new(Method::POST, AUTHENTICATION)
        .json(json!({ "username": username, "password": password }))
}

/// The attributes the seed names for the new password: its prose says
/// `newPassword`, its example and note `new_password`.
pub const NEW_PASSWORD_FIELDS: [&str; 2] = ["new_password", "newPassword"];

/// A sign-on that asks for a password change: `query` is sent verbatim (the
/// documented one is `?enablePasswordChange!`), the new password under each
/// of `fields` (both of [`NEW_PASSWORD_FIELDS`], or one of them).
pub fn sign_on_changing_password(
    query: &str,
    username: &str,
    password: &str,
    fields: &[&str],
    new_password: &str,
) -> Call {
    let mut body = json!({ "username": username, "password": password });
    for field in fields {
        body[*field] = json!(new_password);
    }
    Call::new(Method::POST, AUTHENTICATION)
        .path(format!("{AUTHENTICATION}{query}"))
        .json(body)
}

/// `{"apikey"}` alone: revalidation.
pub fn revalidate(apikey: &str) -> Call {
    Call::new(Method::POST, AUTHENTICATION).json(json!({ "apikey": apikey }))
}

/// `{"apikey", "disable": true}`.
pub fn disable(apikey: &str) -> Call {
    Call::new(Method::POST, AUTHENTICATION).json(json!({ "apikey": apikey, "disable": true }))
}

/// A call of `method` to the probe resource, without credentials.
pub fn probe(method: Method, probe_path: &str) -> Call {
    let operation = PROBE;
    Call::new(method, operation).path(probe_path)
}

/// Puts the auth token on `call` the way `transport` says (`url_param`: the
/// URL parameter's name, `lac.url_param`).
pub fn with_token(call: Call, apikey: &str, transport: Transport, url_param: &str) -> Call {
    match transport {
        Transport::Header => {
            call.header("Authorization", &format!("{SCHEME} {}", credential(apikey)))
        }
        Transport::Url => call.query(url_param, &credential(apikey)),
    }
}

/// An expiration as a server writes it, the instant in Unix milliseconds:
/// the documented pattern (`2014-12-31T23:59:59.999`) read as UTC, the same
/// with a zone (`Z`, `+02:00`), or a number of Unix milliseconds (a Java
/// server's `Date`; a number below 10^11 is read as seconds). `None`: none
/// given (`null` or absent), or a form the harness cannot read.
pub fn expiration_of(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::String(text) => parse_expiration(text),
        Value::Number(n) => {
            let n = n.as_i64()?;
            Some(if n.abs() < 100_000_000_000 {
                n * 1000
            } else {
                n
            })
        }
        _ => None,
    }
}

/// An expiration string (see [`expiration_of`]).
pub fn parse_expiration(text: &str) -> Option<i64> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let dt: jiff::civil::DateTime = text.parse().ok()?;
    Some(
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// Whether an expiration is in the reference server's exact form: the
/// documented example's `2014-12-31T23:59:59.999`, UTC milliseconds without a
/// zone. The document shows one example and says nothing about the form, so a
/// zone, another fraction or none is conforming; this is a reference check.
pub fn is_reference_expiration(text: &str) -> bool {
    const SHAPE: &[u8] = b"0000-00-00T00:00:00.000";
    text.len() == SHAPE.len()
        && text.bytes().zip(SHAPE).all(|(c, s)| match s {
            b'0' => c.is_ascii_digit(),
            _ => c == *s,
        })
        && parse_expiration(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_form_of_an_expiration() {
        assert!(is_reference_expiration("2014-12-31T23:59:59.999"));
        for other in [
            "2014-12-31T23:59:59.999Z",
            "2014-12-31T23:59:59",
            "2014-12-31T23:59:59.9990",
            "2014-13-31T23:59:59.999",
        ] {
            assert!(!is_reference_expiration(other), "{other}");
        }
    }

    #[test]
    fn expirations_as_numbers() {
        let utc = parse_expiration("2014-12-31T23:59:59.999").unwrap();
        assert_eq!(expiration_of(Some(&json!(utc))), Some(utc));
        assert_eq!(
            expiration_of(Some(&json!(1_420_070_399))),
            Some(1_420_070_399_000)
        );
        assert_eq!(expiration_of(Some(&json!(null))), None);
        assert_eq!(expiration_of(None), None);
        assert_eq!(expiration_of(Some(&json!(true))), None);
    }

    #[test]
    fn expirations_with_or_without_a_zone() {
        let utc = parse_expiration("2014-12-31T23:59:59.999").unwrap();
        assert_eq!(parse_expiration("2014-12-31T23:59:59.999Z"), Some(utc));
        assert_eq!(parse_expiration("2015-01-01T01:59:59.999+02:00"), Some(utc));
        assert_eq!(parse_expiration("2014-12-31T23:59:59"), Some(utc - 999));
        assert_eq!(parse_expiration("12/31/2014 23:59:59"), None);
    }
}
