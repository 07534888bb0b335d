//! Limecraft's wire format: the error envelope, request bodies (JSON or form),
//! and the three token transports.
//!
//! Every rejection, including a body that is too large or not UTF-8, leaves
//! through [`ApiError`], so a client always gets the documented envelope.

use axum::extract::OptionalFromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::body::BodyRejection;
pub use crate::body::{BodyEncodings, Encoding};
use crate::headers;

/// The name of the session cookie, as documented.
pub const SESSION_COOKIE: &str = "MOJITO_SESSION_ID_V2";

/// `{"type","code","errorNumber","message","data"}`, the documented error body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds in `Retry-After` (a 429; every 503 gets one from the server).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A login refused by the failed-login throttle (`throttle.rs`).
    pub fn too_many_attempts(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed login attempts; try again later.",
            )
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The documented wrong-credentials message, naming what the client sent.
    pub fn not_authorized(username: &str) -> Self {
        Self::unauthorized(format!(
            "{username} was not authorized, the username / password combination you entered is invalid."
        ))
    }

    pub fn missing_token() -> Self {
        Self::unauthorized("No valid access token was provided.")
    }

    /// The envelope's `type`, named after the status as the vendor does.
    pub fn type_name(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BadRequestError",
            StatusCode::UNAUTHORIZED => "UnauthorizedError",
            StatusCode::FORBIDDEN => "ForbiddenError",
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowedError",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeError",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaTypeError",
            StatusCode::REQUEST_TIMEOUT => "RequestTimeoutError",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequestsError",
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailableError",
            _ => "InternalServerError",
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({
            "type": self.type_name(),
            "code": self.status.as_u16(),
            "errorNumber": 0,
            "message": self.message,
            "data": null,
        })
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

/// A Limecraft request body: JSON, or form parameters where the call allows them.
pub type VendorBody<T> = crate::body::VendorBody<T, ApiError>;

impl From<BodyRejection> for ApiError {
    fn from(r: BodyRejection) -> Self {
        ApiError::new(r.status, r.message)
    }
}

/// The token a request presents, from the first transport that carries one:
/// `Authorization: Bearer`, then `?access_token=`, then the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Bearer,
    Query,
    Cookie,
}

pub struct PresentedToken {
    pub value: String,
    pub transport: Transport,
}

impl PresentedToken {
    pub fn find(headers: &HeaderMap, query: Option<&str>) -> Option<PresentedToken> {
        headers::authorization(headers, "Bearer")
            .map(|value| PresentedToken {
                value: value.to_owned(),
                transport: Transport::Bearer,
            })
            .or_else(|| {
                headers::query_param(query, "access_token").map(|value| PresentedToken {
                    value,
                    transport: Transport::Query,
                })
            })
            .or_else(|| {
                headers::cookie(headers, SESSION_COOKIE).map(|value| PresentedToken {
                    value,
                    transport: Transport::Cookie,
                })
            })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for PresentedToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(PresentedToken::find(&parts.headers, parts.uri.query()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn header_wins_over_query_and_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer aaaa"),
        );
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("MOJITO_SESSION_ID_V2=cccc"),
        );
        let t = PresentedToken::find(&h, Some("access_token=bbbb")).unwrap();
        assert_eq!((t.value.as_str(), t.transport), ("aaaa", Transport::Bearer));
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; MOJITO_SESSION_ID_V2=cccc; y=2"),
        );
        let t = PresentedToken::find(&h, None).unwrap();
        assert_eq!((t.value.as_str(), t.transport), ("cccc", Transport::Cookie));
    }

    #[test]
    fn non_bearer_schemes_are_not_tokens() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWxpY2U6eA=="),
        );
        assert!(PresentedToken::find(&h, None).is_none());
    }
}
