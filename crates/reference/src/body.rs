//! Request bodies as the vendors document them: JSON, or also form parameters
//! where a call allows them. One extractor for every vendor, so that size,
//! encoding and parse errors are decided once; each vendor turns a
//! [`BodyRejection`] into its own error envelope.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;

/// Largest request body a vendor route reads; a larger one is 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why a body was refused: the status and a message for the vendor's envelope.
#[derive(Debug, Clone)]
pub struct BodyRejection {
    pub status: StatusCode,
    pub message: String,
}

impl BodyRejection {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        BodyRejection {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// A request body the documentation allows as JSON (or also as form
/// parameters), read up to [`MAX_BODY_BYTES`]; every rejection becomes the
/// vendor's error `E`.
///
/// An empty body is `value: None`, for the calls whose body is optional.
pub struct VendorBody<T, E> {
    pub value: Option<T>,
    pub encoding: Encoding,
    _error: PhantomData<E>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

/// Which encodings a route accepts; the login call takes both, the others JSON.
pub trait BodyEncodings {
    const FORM: bool;
}

impl<S, T, E> FromRequest<S> for VendorBody<T, E>
where
    S: Send + Sync,
    T: DeserializeOwned + BodyEncodings,
    E: From<BodyRejection> + IntoResponse,
{
    type Rejection = E;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = media_type(req.headers());
        let bytes = read_limited(req).await.map_err(E::from)?;
        let encoding = match content_type.as_deref() {
            Some("application/x-www-form-urlencoded") => Encoding::Form,
            _ => Encoding::Json,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(VendorBody {
                value: None,
                encoding,
                _error: PhantomData,
            });
        }
        let parsed = match content_type.as_deref() {
            Some("application/json") | Some("text/json") => parse_json(&bytes).map_err(E::from)?,
            Some("application/x-www-form-urlencoded") if T::FORM => {
                parse_form(&bytes).map_err(E::from)?
            }
            Some(other) => {
                return Err(E::from(BodyRejection::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "Content-Type {other} is not supported; send {}",
                        accepted::<T>()
                    ),
                )));
            }
            None => {
                return Err(E::from(BodyRejection::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "a Content-Type header is required; send {}",
                        accepted::<T>()
                    ),
                )));
            }
        };
        Ok(VendorBody {
            value: Some(parsed),
            encoding,
            _error: PhantomData,
        })
    }
}

fn accepted<T: BodyEncodings>() -> &'static str {
    if T::FORM {
        "application/json or application/x-www-form-urlencoded"
    } else {
        "application/json"
    }
}

/// The media type of the `Content-Type` header, lower-cased, without parameters.
pub fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// The body, up to [`MAX_BODY_BYTES`]: a larger one is a 413 rejection, one
/// that stalls ([`BodyTimeout`](super::serving::BodyTimeout)) a 408, one that
/// is malformed on the wire (a bad chunk size) a 400.
pub async fn read_limited(req: Request) -> Result<Bytes, BodyRejection> {
    axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| read_error(&e))
}

/// What a failed body read answers; shared with the mocks' journal layer.
pub fn read_error(error: &axum::Error) -> BodyRejection {
    if error_chain_has::<http_body_util::LengthLimitError>(error)
        || error_chain_has::<super::serving::BodyTooLarge>(error)
    {
        BodyRejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
        )
    } else if error_chain_has::<super::serving::BodyTimeout>(error) {
        BodyRejection::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request body was not received in time",
        )
    } else {
        BodyRejection::bad_request("the request body could not be read (malformed framing)")
    }
}

/// Whether `T` is `error` or one of its sources.
fn error_chain_has<T: std::error::Error + 'static>(
    error: &(dyn std::error::Error + 'static),
) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<T>() {
            return true;
        }
        next = e.source();
    }
    false
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyRejection> {
    serde_json::from_slice(bytes)
        .map_err(|e| BodyRejection::bad_request(format!("the JSON body is not valid: {e}")))
}

fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyRejection> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(BodyRejection::bad_request(
            "the form body is not valid UTF-8",
        ));
    }
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| BodyRejection::bad_request(format!("the form body is not valid: {e}")))
}
