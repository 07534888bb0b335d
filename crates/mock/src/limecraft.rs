//! The Limecraft Flow mock.

use axum::response::IntoResponse;

use super::server::{MockError, MockServer, Wire, malformed_json, mock_handle};
use authconform_reference::fixtures::{AccountState, LimecraftUser};
use authconform_reference::limecraft::store::{self, Caller};
use authconform_reference::limecraft::wire::ApiError;
use authconform_reference::totp;
use authconform_reference::vendor::Vendor;

const WIRE: Wire = Wire {
    vendor: Vendor::Limecraft,
    error: |status, message| ApiError::new(status, message).into_response(),
    malformed: malformed_json,
};

/// A Limecraft Flow mock: `POST {base_url}/authentication/login` and the rest
/// of `specs/limecraft.openapi.yaml`, stateful, with the seeded accounts
/// `john.doe` / `mysecret123!` (the documentation's example), `alice` /
/// `alice-Pa55word`, `bob` / `bob-Pa55word`, `carol` / `carol-Pa55word`,
/// `dave` (locked), `erin` (disabled) and `sam` (SUPPORT rights), each
/// `<name>-Pa55word`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use authconform_mock::Limecraft;
/// use std::time::Duration;
///
/// let mock = Limecraft::start().await;
/// mock.add_user("zoe", "zoe-Pa55word")?;
/// let secret = mock.enable_two_factor("zoe")?; // base32; advertised SHA512, 6 digits, 30 s
///
/// let http = reqwest::Client::new();
/// let login: serde_json::Value = http
///     .post(format!("{}/authentication/login", mock.base_url()))
///     .json(&serde_json::json!({"username": "zoe", "password": "zoe-Pa55word"}))
///     .send().await?.json().await?;
/// assert_eq!(login["needsSecondToken"], true);
///
/// let validated = http
///     .post(format!("{}/authentication/2fa/validate", mock.base_url()))
///     .bearer_auth(login["token"].as_str().unwrap_or_default())
///     .json(&serde_json::json!({"token": mock.totp_code(&secret)?}))
///     .send().await?;
/// assert_eq!(validated.status(), 200);
///
/// // A session lasts an hour: move the mock's clock instead of sleeping.
/// mock.advance_clock(Duration::from_secs(3601))?;
/// # Ok(()) }
/// ```
pub struct Limecraft {
    server: MockServer,
    store: store::Limecraft,
    totp: totp::TotpParams,
}

mock_handle!(Limecraft, "Limecraft", |reference| store: reference.limecraft.clone(), totp: store::LimecraftConfig::default().totp);

impl Limecraft {
    /// Throttles failed logins as `authconform serve` does (off in a mock
    /// unless asked for): after `max_failures` wrong passwords for one account
    /// from one client within `window`, that client answers 429 for that
    /// account, the right password included, until a failure drains (one
    /// `window / max_failures` later); other clients are not refused.
    pub fn set_login_throttle(&self, max_failures: usize, window: std::time::Duration) {
        self.store.set_login_throttle(Some(
            authconform_reference::throttle::ThrottleConfig::per_source(
                max_failures,
                i64::try_from(window.as_secs()).unwrap_or(i64::MAX),
            ),
        ));
    }

    /// Adds an active account (email `<username>@example.com`, no SUPPORT
    /// rights) and returns its user id, for `/user/{id}/enable2fa`.
    pub fn add_user(&self, username: &str, password: &str) -> Result<i64, MockError> {
        let id = self.store.next_user_id();
        self.store
            .add_user(&LimecraftUser {
                id,
                username: username.to_owned(),
                email: format!("{username}@example.com"),
                password: password.to_owned(),
                state: AccountState::Active,
                support: false,
                first_name: None,
                last_name: None,
            })
            .map_err(MockError::Refused)?;
        Ok(id)
    }

    /// The user id of an account.
    pub fn user_id(&self, username: &str) -> Result<i64, MockError> {
        self.store
            .user_id(username)
            .ok_or_else(|| MockError::UnknownAccount(username.to_owned(), Vendor::Limecraft))
    }

    /// Locks an account: its correct password then gets 403.
    pub fn lock_user(&self, username: &str) -> Result<(), MockError> {
        self.set_state(username, AccountState::Locked)
    }

    /// Disables an account: its correct password then gets 401.
    pub fn disable_user(&self, username: &str) -> Result<(), MockError> {
        self.set_state(username, AccountState::Disabled)
    }

    /// Makes a locked or disabled account active again.
    pub fn activate_user(&self, username: &str) -> Result<(), MockError> {
        self.set_state(username, AccountState::Active)
    }

    fn set_state(&self, username: &str, state: AccountState) -> Result<(), MockError> {
        if self.store.set_account_state(username, state) {
            Ok(())
        } else {
            Err(MockError::UnknownAccount(
                username.to_owned(),
                Vendor::Limecraft,
            ))
        }
    }

    /// Turns two-factor authentication on for an account, as the user's own
    /// `enable2fa` call does, and returns its secret (unpadded base32). Refused
    /// if it is already on (the rule: replacing it takes a current code).
    pub fn enable_two_factor(&self, username: &str) -> Result<String, MockError> {
        let id = self.user_id(username)?;
        self.store
            .enable_two_factor(Caller { user_id: id }, Some(id), None, false, None)
            .map(|enrolment| enrolment.key)
            .map_err(|e| MockError::Refused(e.message))
    }

    /// The TOTP code of `secret` at the mock's current time (SHA512, 6 digits, 30 s).
    /// A code is accepted once: after a successful validation, advance the clock
    /// 30 s before asking for the next. The mock also accepts the code seed 003's
    /// own sample client computes for the same key (SHA-1, 6 digits, 30 s:
    /// `totp(key, {digits: 6, algorithm: 'SHA-1', period: 30})`), as the
    /// reference server does.
    pub fn totp_code(&self, secret: &str) -> Result<String, MockError> {
        let key = totp::decode_secret(secret)
            .ok_or_else(|| MockError::Refused("the secret is not base32".into()))?;
        Ok(totp::code_at(self.totp, &key, self.server.now()))
    }
}
