//! A small Limecraft Flow authentication client: login (with the second
//! factor when the account has one), the current user, logout.
//!
//! It is the example of issue #6: its tests (`tests/against_mock.rs`) run
//! against `authconform_mock::Limecraft`, one mock per test.

use serde::Deserialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with Limecraft's error envelope.
    #[error("{status} {kind}: {message}")]
    Api {
        status: u16,
        kind: String,
        message: String,
    },
    /// The login needs a TOTP code: call [`Client::validate_second_factor`].
    #[error("the account has two-factor authentication: a code is needed")]
    SecondFactorRequired { temporary_token: String },
    /// No answer, or an answer that is not what the API documents.
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenAnswer {
    token: String,
    #[serde(default)]
    needs_second_token: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
}

/// A client of one Limecraft Flow API base URL (`https://platform.limecraft.com/api`).
pub struct Client {
    base_url: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: impl Into<String>) -> Self {
        Client {
            base_url: base_url.into(),
            http: reqwest::Client::new(),
        }
    }

    /// `POST /authentication/login`: the session token, or
    /// [`Error::SecondFactorRequired`] with the temporary token.
    pub async fn login(&self, username: &str, password: &str) -> Result<String, Error> {
        let response = self
            .http
            .post(format!("{}/authentication/login", self.base_url))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?;
        let answer: TokenAnswer = read(response).await?;
        if answer.needs_second_token {
            Err(Error::SecondFactorRequired {
                temporary_token: answer.token,
            })
        } else {
            Ok(answer.token)
        }
    }

    /// `POST /authentication/2fa/validate`: the temporary token and a code
    /// become the session token.
    pub async fn validate_second_factor(
        &self,
        temporary_token: &str,
        code: &str,
    ) -> Result<String, Error> {
        let response = self
            .http
            .post(format!("{}/authentication/2fa/validate", self.base_url))
            .bearer_auth(temporary_token)
            .json(&json!({ "token": code }))
            .send()
            .await?;
        Ok(read::<TokenAnswer>(response).await?.token)
    }

    /// `GET /authentication/user`: who the token belongs to.
    pub async fn current_user(&self, token: &str) -> Result<User, Error> {
        let response = self
            .http
            .get(format!("{}/authentication/user", self.base_url))
            .bearer_auth(token)
            .send()
            .await?;
        read(response).await
    }

    /// `POST /authentication/logout`.
    pub async fn logout(&self, token: &str) -> Result<(), Error> {
        let response = self
            .http
            .post(format!("{}/authentication/logout", self.base_url))
            .bearer_auth(token)
            .send()
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(api_error(response).await)
        }
    }

    /// [`login`](Self::login), retrying up to `attempts` times on a 5xx or
    /// a dropped connection.
    pub async fn login_with_retry(
        &self,
        username: &str,
        password: &str,
        attempts: u32,
    ) -> Result<String, Error> {
        for _ in 1..attempts.max(1) {
            match self.login(username, password).await {
                Err(Error::Api { status, .. }) if status >= 500 => {}
                Err(Error::Transport(e)) if e.is_connect() || e.is_request() => {}
                done => return done,
            }
        }
        self.login(username, password).await
    }
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    if response.status().is_success() {
        Ok(response.json().await?)
    } else {
        Err(api_error(response).await)
    }
}

async fn api_error(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    match response.json::<Envelope>().await {
        Ok(e) => Error::Api {
            status,
            kind: e.kind,
            message: e.message,
        },
        Err(e) => Error::Transport(e),
    }
}
