//! The FileVerbs mock.

use axum::response::IntoResponse;

use super::server::{MockError, MockServer, Wire, malformed_json, mock_handle};
use authconform_reference::fileverbs::store;
use authconform_reference::fileverbs::wire::ApiError;
use authconform_reference::fixtures::FileVerbsAccount;
use authconform_reference::vendor::Vendor;

const WIRE: Wire = Wire {
    vendor: Vendor::FileVerbs,
    error: |status, message| ApiError::new(status, message).into_response(),
    malformed: malformed_json,
};

/// A FileVerbs mock: `POST {base_url}/accounts/access-token` (SecretKey +
/// APIKey → JWT and refresh token), the `@ext` refresh and revoke calls and a
/// protected `/endpoint`, as in `specs/fileverbs.openapi.yaml`. Seeded key
/// pairs: the documentation's example (`eyJhbGci...` / `jgJhbSag...`), and
/// `fv-secret-alice-7Qm2vX9kL4pR8sT1` / `fv-api-alice-3Hn6bW0cJ5yZ2dF7`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use authconform_mock::FileVerbs;
/// use std::time::Duration;
///
/// let mock = FileVerbs::start().await;
/// mock.add_account("acct-1", "my-secret-key-0001", "my-api-key-0001")?;
///
/// let http = reqwest::Client::new();
/// let issued: serde_json::Value = http
///     .post(format!("{}/accounts/access-token", mock.base_url()))
///     .json(&serde_json::json!({"SecretKey": "my-secret-key-0001", "APIKey": "my-api-key-0001"}))
///     .send().await?.json().await?;
/// let jwt = issued["JwtToken"].as_str().unwrap_or_default().to_owned();
/// let probe = |jwt: String| http.get(format!("{}/endpoint", mock.base_url())).bearer_auth(jwt).send();
/// assert_eq!(probe(jwt.clone()).await?.status(), 200);
///
/// mock.advance_clock(Duration::from_secs(15 * 60))?;   // JWTs last 15 minutes
/// let expired = probe(jwt).await?;
/// assert_eq!(expired.status(), 401);
/// assert!(mock.received_requests().len() == 3);
/// # Ok(()) }
/// ```
pub struct FileVerbs {
    server: MockServer,
    store: store::FileVerbs,
}

mock_handle!(FileVerbs, "FileVerbs", |reference| store: reference.fileverbs.clone());

impl FileVerbs {
    /// Adds a verified account (role `User`) with this key pair.
    pub fn add_account(&self, id: &str, secret_key: &str, api_key: &str) -> Result<(), MockError> {
        self.store
            .add_account(&FileVerbsAccount {
                id: id.to_owned(),
                first_name: id.to_owned(),
                last_name: String::new(),
                email: format!("{id}@example.com"),
                role: "User".to_owned(),
                is_verified: true,
                secret_key: secret_key.to_owned(),
                api_key: api_key.to_owned(),
            })
            .map_err(MockError::Refused)
    }

    /// "Reset in the portal": replaces an account's SecretKey and ends its
    /// refresh tokens. Returns the new key.
    pub fn reset_secret_key(&self, old: &str) -> Result<String, MockError> {
        self.store
            .reset_secret_key(old)
            .ok_or_else(|| MockError::Refused("no account has this SecretKey".into()))
    }
}
