//! CA Live API Creator's wire format: the error body, the four payloads of
//! `@authentication`, the password-change query flag, the two places an auth
//! token travels (`Authorization: CALiveAPICreator <apikey>:1`, `?auth=`), and
//! the documented expiration pattern.
//!
//! Every rejection, including a body that is too large or not UTF-8, leaves
//! through [`ApiError`], so a client always gets the same error body.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::body::BodyRejection;
use crate::headers;

/// The documented Authorization scheme.
pub const SCHEME: &str = "CALiveAPICreator";
/// The URL parameter that carries an auth token on GET (the product's name; the
/// documentation's example lost it).
pub const URL_PARAM: &str = "auth";
/// The exact query flag that enables a password change: case-sensitive, with `!`.
pub const PASSWORD_CHANGE_FLAG: &str = "enablePasswordChange!";

/// A LAC request body (JSON only).
pub type Body<T> = crate::body::VendorBody<T, ApiError>;

/// `{"statusCode","errorCode","errorMessage"}`: the error body (undocumented;
/// in the style of the product, recorded in the spec).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// A finer code: the status times ten plus a reason (4012: expired).
    pub code: u16,
    pub message: String,
    /// Seconds in `Retry-After` (a 429; every 503 gets one from the server).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A sign-on refused by the failed-login throttle (`throttle.rs`).
    pub fn too_many_attempts(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                4290,
                "Too many failed sign-on attempts; try again later.",
            )
        }
    }

    /// Every password hashing worker is busy and its queue full: nothing was checked.
    pub fn busy(busy: crate::secret::HashBusy) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, 5030, busy.to_string())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 4000, message)
    }

    /// A sign-on with a wrong password or an unknown user: the same answer.
    pub fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            4010,
            "Invalid credentials: the username / password combination is not valid.",
        )
    }

    pub fn missing_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            4011,
            "An auth token is required: send the header Authorization: CALiveAPICreator <apikey>:1",
        )
    }

    pub fn unknown_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            4011,
            "The auth token is not valid.",
        )
    }

    pub fn expired_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4012, "Auth token has expired.")
    }

    /// A valid auth token whose roles the resource does not allow (401, as
    /// every refusal of a resource: `lac.refusal-status=403` makes it 403).
    pub fn roles_refused() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            4014,
            "The roles of this auth token do not allow this resource.",
        )
    }

    pub fn disabled_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            4013,
            "Auth token has been disabled.",
        )
    }

    pub fn url_token_refused(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4014, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 4040, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, 5000, message)
    }

    pub fn body(&self) -> Value {
        json!({
            "statusCode": self.status.as_u16(),
            "errorCode": self.code,
            "errorMessage": self.message,
        })
    }
}

impl From<BodyRejection> for ApiError {
    fn from(r: BodyRejection) -> Self {
        ApiError::new(r.status, r.status.as_u16() * 10, r.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            crate::throttle::set_retry_after(&mut response, secs);
        }
        response
    }
}

/// What an `@authentication` payload asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `{"username","password"}` (plus, for a password change, the new password).
    SignOn {
        username: String,
        password: String,
        new_password: NewPassword,
    },
    /// `{"apikey"}` and nothing else.
    Revalidate { apikey: String },
    /// `{"apikey", "disable": true}`.
    Disable { apikey: String },
}

/// The new password of a sign-on, for when the query enables a password change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewPassword {
    Given(String),
    Missing,
    /// `new_password` and `newPassword` both sent, with different values.
    Conflicting,
}

/// The attributes a new password is read from: the seed's prose says
/// `newPassword`, its example and note `new_password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Both,
    /// `new_password` only (the example's).
    SnakeOnly,
    /// `newPassword` only (the prose's).
    CamelOnly,
}

const USAGE: &str = "send {\"username\",\"password\"} to sign on, {\"apikey\"} to revalidate an auth token or {\"apikey\",\"disable\":true} to disable it";

/// Reads the payload's mode. A single `apikey` revalidates; `apikey` with
/// `disable: true` disables; `username` with `password` signs on (other
/// attributes are the provider's business and are ignored). Anything else is
/// a 400: no guessing between modes.
///
/// `reads`: which attributes the built-in provider reads the new password from.
pub fn classify(mut payload: Map<String, Value>, reads: Reads) -> Result<Request, ApiError> {
    if let Some(apikey) = payload.remove("apikey") {
        let apikey = string(apikey, "apikey")?;
        let disable = payload.remove("disable");
        if let Some(other) = payload.keys().next() {
            return Err(ApiError::bad_request(format!(
                "`{other}` does not go with apikey: {USAGE}"
            )));
        }
        return match disable {
            None => Ok(Request::Revalidate { apikey }),
            Some(Value::Bool(true)) => Ok(Request::Disable { apikey }),
            Some(Value::Bool(false)) => Err(ApiError::bad_request(
                "disable must be true; send {\"apikey\"} alone to revalidate",
            )),
            Some(_) => Err(ApiError::bad_request("disable must be the boolean true")),
        };
    }
    if payload.contains_key("disable") {
        return Err(ApiError::bad_request(
            "disable needs the apikey of the auth token to disable",
        ));
    }
    let username = payload.remove("username");
    let password = payload.remove("password");
    let (username, password) = match (username, password) {
        (Some(u), Some(p)) => (string(u, "username")?, string(p, "password")?),
        (None, None) => return Err(ApiError::bad_request(USAGE)),
        _ => {
            return Err(ApiError::bad_request(
                "a sign-on needs both username and password",
            ));
        }
    };
    let snake = payload
        .remove("new_password")
        .map(|v| string(v, "new_password"))
        .transpose()?
        .filter(|_| reads != Reads::CamelOnly);
    let camel = payload
        .remove("newPassword")
        .map(|v| string(v, "newPassword"))
        .transpose()?
        .filter(|_| reads != Reads::SnakeOnly);
    let new_password = match (snake, camel) {
        (Some(a), Some(b)) if a != b => NewPassword::Conflicting,
        (Some(p), _) | (None, Some(p)) => NewPassword::Given(p),
        (None, None) => NewPassword::Missing,
    };
    Ok(Request::SignOn {
        username,
        password,
        new_password,
    })
}

fn string(v: Value, field: &str) -> Result<String, ApiError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(ApiError::bad_request(format!(
            "{field} must be a string, not {}",
            json_type(&other)
        ))),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether the query enables a password change: a parameter named exactly
/// `enablePasswordChange!` (percent-encoded or not, with or without a value).
/// `loose` is the fault that also takes other spellings.
pub fn password_change_requested(query: Option<&str>, loose: bool) -> bool {
    let Some(query) = query else { return false };
    url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| {
        if loose {
            k.to_ascii_lowercase().starts_with("enablepasswordchange")
        } else {
            k == PASSWORD_CHANGE_FLAG
        }
    })
}

/// The credentials a call to a resource carries (the header's borrowed from
/// the request: no copy per call).
#[derive(Debug, Clone, Default)]
pub struct Credentials<'a> {
    /// From the Authorization header.
    pub header: Option<HeaderCredential<'a>>,
    /// The value of `?auth=`.
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HeaderCredential<'a> {
    /// What follows the scheme (`<apikey>:1`), or the whole value without a scheme.
    pub value: std::borrow::Cow<'a, str>,
    /// The scheme is `CALiveAPICreator` (case-insensitively).
    pub lac_scheme: bool,
}

impl<'a> Credentials<'a> {
    pub fn find(headers: &'a HeaderMap, query: Option<&str>) -> Self {
        let header = match headers::authorization(headers, SCHEME) {
            Some(v) => Some(HeaderCredential {
                value: v.into(),
                lac_scheme: true,
            }),
            None => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| HeaderCredential {
                    value: v.split_once(' ').map_or(v, |(_, rest)| rest.trim()).into(),
                    lac_scheme: false,
                }),
        };
        let url = headers::query_param(query, URL_PARAM);
        Credentials { header, url }
    }
}

/// The apikey of a credential `<apikey>:1`; anything else is not a credential.
pub fn key_of(credential: &str) -> Option<&str> {
    credential.strip_suffix(":1").filter(|k| !k.is_empty())
}

/// The documented expiration pattern (`2014-12-31T23:59:59.999`), in UTC, of
/// an instant in Unix milliseconds.
pub fn expiration_text(millis: i64) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(ts) => {
            let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.subsec_nanosecond() / 1_000_000
            )
        }
        Err(_) => String::new(),
    }
}

/// An expiration in the documented pattern, read as UTC, in Unix milliseconds.
pub fn parse_expiration(text: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = text.parse().ok()?;
    Some(
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn the_payload_picks_the_mode() {
        let sign_on = classify(
            map(json!({"username":"demo","password":"Password1"})),
            Reads::Both,
        );
        assert!(matches!(
            sign_on,
            Ok(Request::SignOn {
                new_password: NewPassword::Missing,
                ..
            })
        ));
        assert_eq!(
            classify(map(json!({"apikey":"k"})), Reads::Both).ok(),
            Some(Request::Revalidate { apikey: "k".into() })
        );
        assert_eq!(
            classify(map(json!({"apikey":"k","disable":true})), Reads::Both).ok(),
            Some(Request::Disable { apikey: "k".into() })
        );
        for bad in [
            json!({}),
            json!({"apikey":"k","disable":false}),
            json!({"apikey":"k","disable":"true"}),
            json!({"apikey":"k","username":"demo","password":"x"}),
            json!({"disable":true}),
            json!({"username":"demo"}),
            json!({"password":"x"}),
            json!({"apikey":5}),
            json!({"username":"demo","password":5}),
            json!({"username":"demo","password":"x","new_password":5}),
        ] {
            let e = classify(map(bad.clone()), Reads::Both).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn both_spellings_of_the_new_password() {
        let np = |v: Value, reads: Reads| match classify(map(v), reads).unwrap() {
            Request::SignOn { new_password, .. } => new_password,
            other => panic!("{other:?}"),
        };
        let base = json!({"username":"u","password":"p"});
        let with = |k: &str, v: &str| {
            let mut b = base.clone();
            b[k] = json!(v);
            b
        };
        assert_eq!(
            np(with("new_password", "n"), Reads::Both),
            NewPassword::Given("n".into())
        );
        assert_eq!(
            np(with("newPassword", "n"), Reads::Both),
            NewPassword::Given("n".into())
        );
        assert_eq!(
            np(with("newPassword", "n"), Reads::SnakeOnly),
            NewPassword::Missing
        );
        let mut both = with("new_password", "a");
        both["newPassword"] = json!("b");
        assert_eq!(np(both.clone(), Reads::Both), NewPassword::Conflicting);
        assert_eq!(np(both, Reads::CamelOnly), NewPassword::Given("b".into()));
        assert_eq!(
            np(with("new_password", "n"), Reads::CamelOnly),
            NewPassword::Missing
        );
    }

    #[test]
    fn the_password_change_flag_is_exact() {
        for yes in [
            "enablePasswordChange!",
            "enablePasswordChange%21",
            "x=1&enablePasswordChange!",
            "enablePasswordChange!=true",
        ] {
            assert!(password_change_requested(Some(yes), false), "{yes}");
        }
        for no in [
            "enablePasswordChange",
            "EnablePasswordChange!",
            "enablepasswordchange!",
            "enablePasswordChange!!",
        ] {
            assert!(!password_change_requested(Some(no), false), "{no}");
            assert!(password_change_requested(Some(no), true), "loose: {no}");
        }
        assert!(!password_change_requested(None, false));
    }

    #[test]
    fn credentials_from_the_header_and_the_url() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("CALiveAPICreator abc:1"),
        );
        let c = Credentials::find(&h, Some("auth=def%3A1"));
        let hc = c.header.unwrap();
        assert!(hc.lac_scheme);
        assert_eq!(key_of(&hc.value), Some("abc"));
        assert_eq!(c.url.as_deref().and_then(key_of), Some("def"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc:1"),
        );
        let hc = Credentials::find(&h, None).header.unwrap();
        assert!(!hc.lac_scheme);
        assert_eq!(hc.value, "abc:1");
        assert_eq!(key_of("abc"), None);
        assert_eq!(key_of(":1"), None);
        assert_eq!(key_of("abc:2"), None);
    }

    #[test]
    fn expirations_in_the_documented_pattern() {
        assert_eq!(expiration_text(0), "1970-01-01T00:00:00.000");
        assert_eq!(
            expiration_text(1_420_070_399_999),
            "2014-12-31T23:59:59.999"
        );
        assert_eq!(
            parse_expiration("2014-12-31T23:59:59.999"),
            Some(1_420_070_399_999)
        );
        assert_eq!(
            parse_expiration("2014-12-31T23:59:59"),
            Some(1_420_070_399_000)
        );
        assert_eq!(parse_expiration("31/12/2014"), None);
    }
}
