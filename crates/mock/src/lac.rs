//! The CA Live API Creator mock.

use axum::response::IntoResponse;

use super::server::{MockError, MockServer, Wire, malformed_json, mock_handle};
use authconform_reference::fixtures::lac::LacUser;
use authconform_reference::lac::store;
use authconform_reference::lac::wire::ApiError;
use authconform_reference::vendor::Vendor;

const WIRE: Wire = Wire {
    vendor: Vendor::Lac,
    // The finer `errorCode` is the status times ten, as the server's own
    // rejections of bodies make it (4000, 4010, …).
    error: |status, message| {
        ApiError::new(status, status.as_u16().saturating_mul(10), message).into_response()
    },
    malformed: malformed_json,
};

/// A CA Live API Creator mock: the API `demo` at `{base_url}` =
/// `http://127.0.0.1:PORT/rest/default/demo/v1`, with `@authentication`
/// (sign-on, revalidate, disable, `?enablePasswordChange!`) and the protected
/// resource `/probe`, as in `specs/lac.openapi.yaml`. Seeded users of the
/// built-in provider: `demo` / `Password1` (the documentation's example),
/// `alice` / `alice-Pa55word`, `bob` / `bob-Pa55word`, `carol` / `carol-Pa55word`.
/// The API `demo_strict` (auth token in the URL not allowed) is at
/// `/rest/default/demo_strict/v1` on the same server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use authconform_mock::Lac;
/// use reqwest::{Method, StatusCode};
///
/// let mock = Lac::start().await;
/// mock.add_user("zoe", "zoe-Pa55word", &["Read only"])?;
/// mock.fail_next(Method::POST, "/@authentication", 1, StatusCode::SERVICE_UNAVAILABLE)?;
///
/// let http = reqwest::Client::new();
/// let sign_on = || http
///     .post(format!("{}/@authentication", mock.base_url()))
///     .json(&serde_json::json!({"username": "zoe", "password": "zoe-Pa55word"}))
///     .send();
/// let first = sign_on().await?;
/// assert_eq!(first.status(), 503);
/// let error: serde_json::Value = first.json().await?;
/// assert_eq!(error["statusCode"], 503);          // LAC's own error body
///
/// let token: serde_json::Value = sign_on().await?.json().await?;
/// let probe = http
///     .get(format!("{}/probe", mock.base_url()))
///     .header("Authorization", format!("CALiveAPICreator {}:1", token["apikey"].as_str().unwrap_or_default()))
///     .send().await?;
/// assert_eq!(probe.status(), 200);
/// # Ok(()) }
/// ```
pub struct Lac {
    server: MockServer,
    store: store::Lac,
}

mock_handle!(Lac, "LAC", |reference| store: reference.lac.clone());

impl Lac {
    /// Adds a user of the built-in authentication provider (every API shares it).
    pub fn add_user(
        &self,
        username: &str,
        password: &str,
        roles: &[&str],
    ) -> Result<(), MockError> {
        self.store
            .add_user(&LacUser {
                username: username.to_owned(),
                password: password.to_owned(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            })
            .map_err(MockError::Refused)
    }
}
