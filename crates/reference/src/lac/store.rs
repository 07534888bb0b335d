//! The state of the CA Live API Creator reference server and every rule it
//! enforces: the APIs and their properties, the built-in provider's users and
//! password changes, and auth tokens (sign-on, revalidation, disabling,
//! expiry, use on API calls).
//!
//! Handlers only translate HTTP to calls here. Faults (`--fault`) are applied
//! next to the rule they break.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::Method;

use super::switches;
use super::wire::{self, ApiError, Credentials, NewPassword};
use crate::clock::{Clock, UnixSeconds};
use crate::fault::Fault;
use crate::fixtures::LacFixtures;
use crate::fixtures::lac::LacProvider;
use crate::fixtures::lac::LacUser;
use crate::issued::Issued;
use crate::secret::{PasswordHashing, Token, TokenDigest};
use crate::switch::Switches;
use crate::throttle::{AccountKey, LoginThrottle, Source, ThrottleConfig};
use crate::vendor::Vendor;

/// Lifetimes, bounds and the built-in provider's password policy.
#[derive(Clone, Debug)]
pub struct LacConfig {
    /// Seconds a sign-on's auth token lives (undocumented; 24 hours).
    pub token_ttl: i64,
    /// Seconds an expired auth token is still known (so that disabling it is
    /// still a success, and revalidating it an expired error) before it is
    /// forgotten.
    pub retention: i64,
    /// Sign-on tokens kept per user and API; the oldest is forgotten beyond this.
    pub max_keys_per_user: usize,
    pub password_policy: PasswordPolicy,
    /// Where seed 002 is silent, the choices of this server
    /// (`super::switches`); the reference server's by default. Every
    /// documented rule holds whatever they are.
    pub switches: Switches,
    /// Failed sign-ons per name before 429 (a reference choice, `throttle.rs`).
    pub login_throttle: Option<ThrottleConfig>,
}

impl Default for LacConfig {
    fn default() -> Self {
        LacConfig {
            token_ttl: 24 * 3600,
            retention: 7 * 24 * 3600,
            max_keys_per_user: 256,
            password_policy: PasswordPolicy::default(),
            switches: Switches::default(),
            login_throttle: Some(ThrottleConfig::default()),
        }
    }
}

/// Passwords a user's history keeps (`lac.password-history=refuse-reused`).
pub const HISTORY: usize = 24;

/// What the built-in provider requires of a new password.
#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    pub require_letter: bool,
    pub require_digit: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            max_length: 128,
            require_letter: true,
            require_digit: true,
        }
    }
}

impl PasswordPolicy {
    /// `Err` with the reason the documentation's `failure` message carries.
    pub fn check(&self, password: &str) -> Result<(), String> {
        let chars = password.chars().count();
        if chars < self.min_length {
            return Err(format!(
                "The new password is too short: it needs at least {} characters.",
                self.min_length
            ));
        }
        if chars > self.max_length {
            return Err(format!(
                "The new password is too long: at most {} characters.",
                self.max_length
            ));
        }
        if self.require_letter && !password.chars().any(char::is_alphabetic) {
            return Err("The new password needs at least one letter.".into());
        }
        if self.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            return Err("The new password needs at least one digit.".into());
        }
        Ok(())
    }
}

/// An API of the server, as API Creator defines it.
#[derive(Clone, Debug)]
pub struct ApiInfo {
    pub name: String,
    pub base_path: String,
    /// API property: auth tokens may be given in the URL, on GET.
    pub url_auth: bool,
    pub provider: LacProvider,
    /// Resources only some roles may call: (path under the base path, roles).
    pub role_resources: Vec<(String, Vec<String>)>,
}

struct User {
    /// The user identifier every auth token of the user shares.
    id: Arc<str>,
    password_hash: String,
    /// Only under the `old-password-still-works` fault: the hash before a change.
    previous_hash: Option<String>,
    /// Only under `lac.password-history=refuse-reused`: the hashes of the
    /// passwords the user had before, newest last (at most [`HISTORY`]).
    history: Vec<String>,
    /// Shared with every auth token of the user.
    roles: Arc<[String]>,
}

impl User {
    /// The stored record of a seeded (or added) user: only the password's hash is kept.
    fn seeded(u: &LacUser, hashing: &PasswordHashing) -> User {
        User {
            id: Arc::from(u.username.as_str()),
            password_hash: hashing.hash(&u.password),
            previous_hash: None,
            history: Vec::new(),
            roles: Arc::from(u.roles.as_slice()),
        }
    }
}

///
/// A sign-on's token holds no string of its own: its user identifier and
/// roles are the user's (shared), its label is made from its issue time when
/// listed. A million of them cost about 100 bytes each besides this struct
/// (`bench/growth.sh`).
struct Key {
    /// The "User identifier" of the token; none for a token created without one.
    user: Option<Arc<str>>,
    /// As API Creator lists it (Manage, Auth Tokens).
    label: Label,
    roles: Arc<[String]>,
    /// Unix milliseconds (the documented pattern has them); None: never expires
    /// (a token created in API Creator without an expiration).
    expires_at: Option<i64>,
    disabled: bool,
    /// Created in API Creator (fixtures), not by a sign-on: never forgotten.
    admin: bool,
    /// Issue order in the store, for the Auth Tokens list.
    issued: u64,
}

/// An auth token's label in API Creator's list.
enum Label {
    /// Given when the token was created in API Creator.
    Given(Box<str>),
    /// A sign-on's: "Temp key for <user> [<issue time>]", made when listed.
    TempKey { issued_ms: i64 },
}

impl Key {
    fn label(&self) -> String {
        match &self.label {
            Label::Given(label) => label.to_string(),
            Label::TempKey { issued_ms } => format!(
                "Temp key for {} [{}]",
                self.user.as_deref().unwrap_or_default(),
                wire::expiration_text(*issued_ms)
            ),
        }
    }
}

struct Store {
    users: HashMap<String, User>,
    /// Auth tokens by API (the index of `Lac::apis`), stored as digests. A
    /// sign-on token is owned by its user and forgotten after its retention;
    /// an admin token is owned by no one and never forgotten.
    keys: Vec<Issued<Arc<str>, Key>>,
    /// The next key's `issued`.
    next_issued: u64,
}

/// The LAC reference server's state (shared as [`Lac`]).
pub struct LacState {
    store: Arc<Mutex<Store>>,
    apis: Arc<Vec<ApiInfo>>,
    suite_api: usize,
    /// Values of the tokens created in API Creator without one, generated at
    /// start, by (API name, label): what API Creator would show its admin.
    generated: Arc<HashMap<(String, String), String>>,
    hashing: PasswordHashing,
    clock: Clock,
    fault: Option<Fault>,
    /// For the `login-reuses-key` fault: makes its per-user keys unguessable.
    fault_salt: Arc<String>,
    config: Arc<LacConfig>,
    throttle: Arc<LoginThrottle>,
}

crate::shared_state!(Lac => LacState);

/// An auth token as `@authentication` returns it.
#[derive(Clone, Debug)]
pub struct KeyView {
    pub apikey: String,
    /// In the documented pattern; None for a token that never expires.
    pub expiration: Option<String>,
    pub roles: Vec<String>,
}

/// What a sign-on returns: the new token (always, unless a fault withholds
/// it) and, when asked for, the password change's outcome.
#[derive(Debug)]
pub struct SignOn {
    pub key: Option<KeyView>,
    pub change: Option<PasswordChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeResult {
    Success,
    Failure,
    NotSupported,
}

impl ChangeResult {
    /// The documented value of `changePasswordResult`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeResult::Success => "success",
            ChangeResult::Failure => "failure",
            ChangeResult::NotSupported => "notSupported",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub result: ChangeResult,
    pub message: String,
}

impl PasswordChange {
    fn failure(message: impl Into<String>) -> Self {
        PasswordChange {
            result: ChangeResult::Failure,
            message: message.into(),
        }
    }
}

/// Who called a resource.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_identifier: Option<String>,
    pub roles: Vec<String>,
}

impl Lac {
    pub fn new(
        fixtures: &LacFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LacConfig,
    ) -> Self {
        Lac(Arc::new(LacState::new(
            fixtures, hashing, clock, fault, config,
        )))
    }
}

impl LacState {
    fn new(
        fixtures: &LacFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LacConfig,
    ) -> Self {
        let users = fixtures
            .users
            .iter()
            .map(|u| (u.username.clone(), User::seeded(u, &hashing)))
            .collect();
        let apis: Vec<ApiInfo> = fixtures
            .apis
            .iter()
            .map(|a| ApiInfo {
                name: a.name.clone(),
                base_path: a.base_path.clone(),
                url_auth: a.url_auth,
                provider: a.provider,
                role_resources: a
                    .role_resources
                    .iter()
                    .map(|r| (r.path.clone(), r.roles.clone()))
                    .collect(),
            })
            .collect();
        let mut generated = HashMap::new();
        let keys = fixtures
            .apis
            .iter()
            .map(|api| {
                api.auth_tokens
                    .iter()
                    .map(|t| {
                        let value = match &t.value {
                            Some(v) => v.clone(),
                            None => {
                                let v = Token::generate().as_str().to_owned();
                                generated.insert((api.name.clone(), t.label.clone()), v.clone());
                                v
                            }
                        };
                        let key = Key {
                            user: t.user_identifier.as_deref().map(Arc::from),
                            label: Label::Given(t.label.as_str().into()),
                            roles: Arc::from(t.roles.as_slice()),
                            expires_at: t.expiration.as_deref().and_then(wire::parse_expiration),
                            disabled: false,
                            admin: true,
                            issued: 0,
                        };
                        (TokenDigest::of(&value), key)
                    })
                    .enumerate()
                    .fold(Issued::new(), |mut keys, (i, (digest, key))| {
                        keys.insert(
                            digest,
                            None,
                            None,
                            Key {
                                issued: i as u64,
                                ..key
                            },
                        );
                        keys
                    })
            })
            .collect();
        let suite_api = apis
            .iter()
            .position(|a| a.name == fixtures.suite.api)
            .unwrap_or(0);
        LacState {
            store: Arc::new(Mutex::new(Store {
                users,
                keys,
                next_issued: u64::from(u32::MAX),
            })),
            apis: Arc::new(apis),
            suite_api,
            generated: Arc::new(generated),
            hashing,
            clock,
            fault: fault.filter(|f| f.vendor() == Vendor::Lac),
            fault_salt: Arc::new(Token::generate().as_str().to_owned()),
            throttle: Arc::new(LoginThrottle::new(config.login_throttle)),
            config: Arc::new(Self::switched(config)),
        }
    }

    /// The configuration with the switches that change it applied.
    fn switched(mut config: LacConfig) -> LacConfig {
        if config.switches.is(&switches::TOKEN_LIFETIME, "40m") {
            config.token_ttl = 40 * 60;
        }
        if config.switches.is(&switches::PASSWORD_POLICY, "none") {
            config.password_policy = PasswordPolicy {
                min_length: 1,
                max_length: 1024,
                require_letter: false,
                require_digit: false,
            };
        }
        config
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // Every mutation is a single insert, remove or field write: a panic
        // elsewhere cannot leave the state half-changed, so keep serving.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faulty(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    /// Where the document is silent, this server's choices.
    pub fn switches(&self) -> &Switches {
        &self.config.switches
    }

    /// Whether this server was started with `fault`; for the faults that live in handlers.
    pub fn fault_is(&self, fault: Fault) -> bool {
        self.faulty(fault)
    }

    /// Adds a user of the built-in provider at run time (the mocks' builder),
    /// made exactly as a seeded one; every API shares it. A taken username is an error.
    pub fn add_user(&self, user: &LacUser) -> Result<(), String> {
        let record = User::seeded(user, &self.hashing);
        let mut store = self.store();
        if store.users.contains_key(&user.username) {
            return Err(format!("lac user `{}` exists", user.username));
        }
        store.users.insert(user.username.clone(), record);
        Ok(())
    }

    pub fn apis(&self) -> &[ApiInfo] {
        &self.apis
    }

    pub fn api_index(&self, name: &str) -> Option<usize> {
        self.apis.iter().position(|a| a.name == name)
    }

    /// The base path of the API the suite uses (`/rest/default/demo/v1`).
    pub fn suite_base_path(&self) -> &str {
        &self.apis[self.suite_api].base_path
    }

    /// The value of a token created in API Creator: the chosen one, or the one
    /// generated at start. None for an unknown label.
    pub fn auth_token_value<'a>(
        &'a self,
        fixtures: &'a LacFixtures,
        api: &str,
        label: &str,
    ) -> Option<&'a str> {
        let token = fixtures
            .api(api)?
            .auth_tokens
            .iter()
            .find(|t| t.label == label)?;
        match &token.value {
            Some(v) => Some(v.as_str()),
            None => self
                .generated
                .get(&(api.to_owned(), label.to_owned()))
                .map(String::as_str),
        }
    }

    fn expired(&self, key: &Key, now: UnixSeconds) -> bool {
        !self.faulty(Fault::LacTokensNeverExpire)
            && key
                .expires_at
                .is_some_and(|e| now.saturating_mul(1000) >= e)
    }

    fn expiration_text(&self, millis: i64) -> String {
        if self.faulty(Fault::LacExpirationWrongFormat) {
            let dt = jiff::Timestamp::from_millisecond(millis)
                .map(|ts| ts.to_zoned(jiff::tz::TimeZone::UTC).datetime())
                .unwrap_or_default();
            return format!(
                "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
                dt.month(),
                dt.day(),
                dt.year(),
                dt.hour(),
                dt.minute(),
                dt.second()
            );
        }
        wire::expiration_text(millis)
    }

    /// Sign-on: `{"username","password"}`, with `change` when the query holds
    /// `enablePasswordChange!`.
    ///
    /// A wrong password and an unknown user get the same answer after the
    /// same Argon2 time. A successful sign-on creates a NEW auth token every
    /// time, whatever the password change's outcome (documented); the change
    /// is tried only after the current password was verified, and applies
    /// only if that password is still the current one when the new hash is
    /// written (compare-and-set): of racing changes from one current
    /// password, exactly one succeeds and the others answer `failure`.
    pub async fn sign_on(
        &self,
        api: usize,
        username: &str,
        password: &str,
        change: Option<NewPassword>,
        source: Source,
    ) -> Result<SignOn, ApiError> {
        let info = self
            .apis
            .get(api)
            .ok_or_else(|| ApiError::internal("no such API"))?
            .clone();
        let found = {
            let store = self.store();
            store
                .users
                .get(username)
                .map(|u| (u.password_hash.clone(), u.previous_hash.clone()))
        };
        let id = found.as_ref().map(|_| username);
        let attempt = self
            .throttle
            .begin(AccountKey::of_login(id, username), source, self.clock.now())
            .await
            .map_err(|limited| ApiError::too_many_attempts(limited.retry_after))?;
        // The hash the password was checked against: a change applies only
        // while it is still the user's.
        let checked_hash = found.as_ref().map(|(hash, _)| hash.clone());
        let known = found.is_some();
        let verified = if known && self.faulty(Fault::LacWrongPasswordAccepted) {
            true
        } else {
            let password = password.to_owned();
            self.hashing
                .run(move |hashing| match &found {
                    Some((hash, previous)) => {
                        hashing.verify(&password, hash)
                            || previous
                                .as_deref()
                                .is_some_and(|p| hashing.verify(&password, p))
                    }
                    None => hashing.verify_decoy(&password),
                })
                .await
                .map_err(ApiError::busy)?
        };
        if !verified {
            attempt.failed(self.clock.now());
            if known
                && self.faulty(Fault::WrongPasswordChangesPassword)
                && let Some(NewPassword::Given(new)) = &change
            {
                self.set_password(username, new, false, None).await?;
            }
            return Err(ApiError::bad_credentials());
        }
        attempt.succeeded(self.clock.now());
        let change = match (change, checked_hash) {
            (Some(new), Some(checked)) => {
                Some(self.change_password(&info, username, new, checked).await?)
            }
            _ => None,
        };
        let withheld = self.faulty(Fault::FailedChangeWithholdsToken)
            && change
                .as_ref()
                .is_some_and(|c| c.result != ChangeResult::Success);
        let key = if withheld {
            None
        } else {
            Some(self.issue_sign_on_key(api, username))
        };
        Ok(SignOn { key, change })
    }

    /// The provider's answer to `?enablePasswordChange!`. The built-in provider
    /// checks the policy and changes the password if it is still `checked`
    /// (the hash the current password was verified against); a custom
    /// provider that does not implement it answers notSupported.
    async fn change_password(
        &self,
        info: &ApiInfo,
        username: &str,
        new: NewPassword,
        checked: String,
    ) -> Result<PasswordChange, ApiError> {
        if info.provider == LacProvider::Custom {
            return Ok(if self.faulty(Fault::NotSupportedAsFailure) {
                PasswordChange::failure("The password could not be changed.")
            } else {
                PasswordChange {
                    result: ChangeResult::NotSupported,
                    message: "The authentication provider of this API does not support changing passwords."
                        .into(),
                }
            });
        }
        let new = match new {
            NewPassword::Given(p) => p,
            NewPassword::Missing => {
                return Ok(PasswordChange::failure(
                    "No new password was given: send it as new_password.",
                ));
            }
            NewPassword::Conflicting => {
                return Ok(PasswordChange::failure(
                    "new_password and newPassword differ: send the new password once.",
                ));
            }
        };
        if !self.faulty(Fault::PasswordPolicyNotEnforced)
            && let Err(reason) = self.config.password_policy.check(&new)
        {
            return Ok(PasswordChange::failure(reason));
        }
        if self
            .config
            .switches
            .is(&switches::PASSWORD_HISTORY, "refuse-reused")
            && self.used_before(username, &new).await?
        {
            return Ok(PasswordChange::failure(
                "The new password was used before: choose one this account has not had.",
            ));
        }
        if !self.faulty(Fault::PasswordChangeNotApplied) {
            let applied = self
                .set_password(
                    username,
                    &new,
                    self.faulty(Fault::OldPasswordStillWorks),
                    Some(&checked),
                )
                .await?;
            if !applied {
                return Ok(PasswordChange::failure(
                    "The password was changed by another request meanwhile: sign on with the current password and try again.",
                ));
            }
        }
        Ok(PasswordChange {
            result: ChangeResult::Success,
            message: "The password was changed.".into(),
        })
    }

    /// Whether `new` is the user's password or one of the history's.
    async fn used_before(&self, username: &str, new: &str) -> Result<bool, ApiError> {
        let hashes: Vec<String> = {
            let store = self.store();
            store
                .users
                .get(username)
                .map(|u| {
                    std::iter::once(u.password_hash.clone())
                        .chain(u.history.iter().cloned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let new = new.to_owned();
        self.hashing
            .run(move |hashing| hashes.iter().any(|h| hashing.verify(&new, h)))
            .await
            .map_err(ApiError::busy)
    }

    /// Writes a new password hash; with `expected`, only if the user's hash is
    /// still that one (compare-and-set, under the store's lock). Whether it
    /// was written.
    async fn set_password(
        &self,
        username: &str,
        new: &str,
        keep_old: bool,
        expected: Option<&str>,
    ) -> Result<bool, ApiError> {
        let new = new.to_owned();
        let hash = self
            .hashing
            .run(move |hashing| hashing.hash(&new))
            .await
            .map_err(ApiError::busy)?;
        let mut store = self.store();
        let Some(user) = store.users.get_mut(username) else {
            return Ok(false);
        };
        if expected.is_some_and(|e| e != user.password_hash) {
            return Ok(false);
        }
        let old = std::mem::replace(&mut user.password_hash, hash);
        if user.history.len() >= HISTORY {
            user.history.remove(0);
        }
        user.history.push(old.clone());
        user.previous_hash = keep_old.then_some(old);
        Ok(true)
    }

    /// A new auth token for a signed-on user: "Temp key for <user> […]", the
    /// user identifier set to the username, the user's roles, expiring after
    /// `token_ttl`. Tokens expired longer than `retention` are forgotten here,
    /// and a user keeps at most `max_keys_per_user` per API.
    fn issue_sign_on_key(&self, api: usize, username: &str) -> KeyView {
        let now = self.clock.now();
        let value = if self.faulty(Fault::SignOnReusesToken) {
            format!("{username}-{}", self.fault_salt)
        } else {
            Token::generate().as_str().to_owned()
        };
        let expires_at = (now + self.config.token_ttl) * 1000;
        let retention = self.config.retention * 1000;
        let now_ms = now * 1000;
        let max = self.config.max_keys_per_user;
        let mut store = self.store();
        // The user's identifier and roles, shared by all the user's tokens.
        let (owner, roles): (Arc<str>, Arc<[String]>) = match store.users.get(username) {
            Some(u) => (u.id.clone(), u.roles.clone()),
            None => (Arc::from(username), Arc::from([])),
        };
        store.next_issued += 1;
        let issued = store.next_issued;
        let Some(keys) = store.keys.get_mut(api) else {
            return KeyView {
                apikey: value,
                expiration: None,
                roles: roles.to_vec(),
            };
        };
        keys.forget_due(now_ms);
        keys.make_room(&owner, max);
        keys.insert(
            TokenDigest::of(&value),
            Some(owner.clone()),
            Some(expires_at + retention),
            Key {
                user: Some(owner),
                label: Label::TempKey { issued_ms: now_ms },
                roles: roles.clone(),
                expires_at: Some(expires_at),
                disabled: false,
                admin: false,
                issued,
            },
        );
        KeyView {
            apikey: value,
            expiration: Some(self.expiration_text(expires_at)),
            roles: roles.to_vec(),
        }
    }

    /// Revalidation: `{"apikey"}` alone. The provider is not called; a valid
    /// token comes back as it is, with its ORIGINAL expiration (never extended);
    /// an expired one gets the expired error.
    pub fn revalidate(&self, api: usize, apikey: &str) -> Result<KeyView, ApiError> {
        let now = self.clock.now();
        let digest = TokenDigest::of(apikey);
        let user = {
            let mut store = self.store();
            let keys = store
                .keys
                .get_mut(api)
                .ok_or_else(ApiError::unknown_token)?;
            let key = keys.get_mut(&digest).ok_or_else(ApiError::unknown_token)?;
            if key.admin && self.faulty(Fault::AdminTokensRefused) {
                return Err(ApiError::unknown_token());
            }
            if key.disabled && !self.faulty(Fault::DisabledTokenRevalidates) {
                return Err(ApiError::disabled_token());
            }
            if self.expired(key, now) {
                return Err(ApiError::expired_token());
            }
            if self.faulty(Fault::RevalidateSlidesExpiration) && key.expires_at.is_some() {
                let slid = (now + self.config.token_ttl) * 1000;
                key.expires_at = Some(slid);
                keys.set_forget_at(&digest, Some(slid + self.config.retention * 1000));
            }
            let key = keys
                .get(&digest)
                .map(|e| e.value)
                .ok_or_else(ApiError::unknown_token)?;
            let reissue = self.faulty(Fault::RevalidateIssuesNewToken);
            match &key.user {
                Some(user) if reissue => user.clone(),
                _ => {
                    return Ok(KeyView {
                        apikey: apikey.to_owned(),
                        expiration: key.expires_at.map(|e| self.expiration_text(e)),
                        roles: key.roles.to_vec(),
                    });
                }
            }
        };
        Ok(self.issue_sign_on_key(api, &user))
    }

    /// Disabling: `{"apikey", "disable": true}`. Idempotent, and a success even
    /// for a token that has expired or is disabled already (documented); a
    /// token that is not found is a 404. `Ok(true)` when the token was valid
    /// and active until now (the documented answer is for that case).
    pub fn disable(&self, api: usize, apikey: &str) -> Result<bool, ApiError> {
        let now = self.clock.now();
        let digest = TokenDigest::of(apikey);
        let mut store = self.store();
        let Some(keys) = store.keys.get_mut(api) else {
            return Err(ApiError::not_found("Auth token not found."));
        };
        let Some(key) = keys.get(&digest).map(|e| e.value) else {
            if self.faulty(Fault::DisableUnknownSucceeds) {
                return Ok(true);
            }
            return Err(ApiError::not_found("Auth token not found."));
        };
        let expired = self.expired(key, now);
        let was_active = !key.disabled && !expired;
        if key.disabled && self.faulty(Fault::DisableTwiceFails) {
            return Err(ApiError::disabled_token());
        }
        if expired && self.faulty(Fault::DisableExpiredFails) {
            return Err(ApiError::expired_token());
        }
        if self.faulty(Fault::DisableDoesNotDisable) {
            return Ok(was_active);
        }
        let user = key.user.clone();
        // The user's newest token, when it is another than the one named.
        let newer_one = user.as_ref().filter(|u| {
            keys.owned_by(u)
                .last()
                .is_some_and(|newest| !std::ptr::eq(newest.value, key))
        });
        let newer_one = newer_one.cloned();
        if self.faulty(Fault::DisableDisablesAllUserTokens) && user.is_some() {
            for k in keys.values_mut().filter(|k| k.user == user) {
                k.disabled = true;
            }
        } else if let Some(u) = newer_one.filter(|_| self.faulty(Fault::DisableEndsNewestToken)) {
            let newest = keys.count_owned_by(&u);
            let mut n = 0;
            keys.owned_by_mut(&u, |k| {
                n += 1;
                if n == newest {
                    k.disabled = true;
                }
            });
        } else if let Some(key) = keys.get_mut(&digest) {
            key.disabled = true;
        }
        Ok(was_active)
    }

    /// A call to a resource: the auth token from `Authorization:
    /// CALiveAPICreator <apikey>:1` (any method), or from `?auth=<apikey>:1` on
    /// GET where the API property allows it. The header wins when both are sent.
    pub fn authorize(
        &self,
        api: usize,
        credentials: &Credentials,
        method: &Method,
    ) -> Result<Caller, ApiError> {
        self.authorize_with(api, credentials, method, |user, roles| Caller {
            user_identifier: user.map(str::to_owned),
            roles: roles.to_vec(),
        })
    }

    /// [`Self::authorize`], handing the caller's user identifier and roles to
    /// `f` where they are stored (under the store's lock: `f` must be quick),
    /// instead of copies (the probe writes its answer from them).
    pub fn authorize_with<T>(
        &self,
        api: usize,
        credentials: &Credentials,
        method: &Method,
        f: impl FnOnce(Option<&str>, &[String]) -> T,
    ) -> Result<T, ApiError> {
        let info = self
            .apis
            .get(api)
            .ok_or_else(|| ApiError::internal("no such API"))?;
        // HEAD is a GET without the body.
        let is_get = method == Method::GET || method == Method::HEAD;
        let from_header = match &credentials.header {
            Some(h) if h.lac_scheme => Some(&*h.value),
            Some(h)
                if self.faulty(Fault::AnyAuthSchemeAccepted)
                    || self
                        .config
                        .switches
                        .is(&switches::OTHER_SCHEMES, "accepted") =>
            {
                Some(&*h.value)
            }
            _ => None,
        }
        .filter(|_| is_get || !self.faulty(Fault::HeaderTokenGetOnly));
        let credential = match (from_header, &credentials.url) {
            (Some(h), _) => h,
            (None, Some(url)) => {
                let allowed_here = (info.url_auth || self.faulty(Fault::UrlAuthPropertyIgnored))
                    && !self.faulty(Fault::UrlAuthIgnored);
                if !allowed_here {
                    return Err(ApiError::url_token_refused(
                        "This API does not allow auth tokens in the URL: send the header Authorization: CALiveAPICreator <apikey>:1",
                    ));
                }
                if !is_get && !self.faulty(Fault::UrlAuthAnyMethod) {
                    return Err(ApiError::url_token_refused(
                        "An auth token in the URL is accepted on GET only: send the header Authorization: CALiveAPICreator <apikey>:1",
                    ));
                }
                url.as_str()
            }
            (None, None) => return Err(ApiError::missing_token()),
        };
        let apikey = wire::key_of(credential).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                4011,
                "An auth token is sent as <apikey>:1.",
            )
        })?;
        if self.faulty(Fault::AnyApikeyAccepted) {
            return Ok(f(None, &[]));
        }
        let now = self.clock.now();
        let store = self.store();
        let key = store
            .keys
            .get(api)
            .and_then(|keys| keys.get(&TokenDigest::of(apikey)))
            .map(|e| e.value)
            .ok_or_else(ApiError::unknown_token)?;
        if key.admin && self.faulty(Fault::AdminTokensRefused) {
            return Err(ApiError::unknown_token());
        }
        if key.disabled {
            return Err(ApiError::disabled_token());
        }
        if self.expired(key, now) {
            return Err(ApiError::expired_token());
        }
        Ok(f(key.user.as_deref(), &key.roles))
    }

    /// Bytes of what the store keeps per token itself (its own value, not
    /// counting what the value points to), for `bench/growth.sh`.
    pub fn token_value_bytes(&self) -> usize {
        std::mem::size_of::<Key>()
    }

    /// Auth tokens stored for an API (live, disabled or expired), for tests of the bound.
    pub fn key_count(&self, api: usize) -> usize {
        self.store().keys.get(api).map_or(0, Issued::len)
    }

    /// The API's Auth Tokens list as API Creator shows it: (label, user
    /// identifier), oldest first. Never the values.
    pub fn auth_tokens_list(&self, api: usize) -> Vec<(String, Option<String>)> {
        let store = self.store();
        let mut keys: Vec<_> = store
            .keys
            .get(api)
            .map_or(vec![], |k| k.entries().collect());
        keys.sort_by_key(|e| e.value.issued);
        keys.into_iter()
            .map(|e| (e.value.label(), e.value.user.as_deref().map(str::to_owned)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;
    use crate::secret::HashCost;
    use axum::http::StatusCode;

    fn lac(config: LacConfig) -> Lac {
        Lac::new(
            &Fixtures::builtin().lac,
            PasswordHashing::new(HashCost::Test),
            Clock::new(),
            None,
            config,
        )
    }

    fn header(apikey: &str) -> Credentials<'static> {
        Credentials {
            header: Some(wire::HeaderCredential {
                value: format!("{apikey}:1").into(),
                lac_scheme: true,
            }),
            url: None,
        }
    }

    async fn sign_on(l: &Lac, user: &str, password: &str) -> KeyView {
        l.sign_on(0, user, password, None, Source::UNKNOWN)
            .await
            .unwrap()
            .key
            .unwrap()
    }

    #[tokio::test]
    async fn the_seed_account_signs_on_and_every_sign_on_is_a_new_token() {
        let l = lac(LacConfig::default());
        let a = sign_on(&l, "demo", "Password1").await;
        let b = sign_on(&l, "demo", "Password1").await;
        assert_ne!(a.apikey, b.apikey);
        let listed = l.auth_tokens_list(0);
        let temp: Vec<_> = listed
            .iter()
            .filter(|(label, _)| label.starts_with("Temp key for demo ["))
            .collect();
        assert_eq!(temp.len(), 2, "{listed:?}");
        assert!(temp.iter().all(|(_, user)| user.as_deref() == Some("demo")));
        assert_eq!(a.roles, vec!["Full access".to_owned()]);
        for k in [&a, &b] {
            let caller = l.authorize(0, &header(&k.apikey), &Method::GET).unwrap();
            assert_eq!(caller.user_identifier.as_deref(), Some("demo"));
        }
    }

    #[tokio::test]
    async fn tokens_are_per_api() {
        let l = lac(LacConfig::default());
        let k = sign_on(&l, "alice", "alice-Pa55word").await;
        let strict = l.api_index("demo_strict").unwrap();
        let e = l
            .authorize(strict, &header(&k.apikey), &Method::GET)
            .unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn admin_created_tokens_work_like_sign_on_tokens_and_can_be_disabled() {
        let fixtures = Fixtures::builtin();
        let l = lac(LacConfig::default());
        let chosen = l
            .auth_token_value(&fixtures.lac, "demo", "Rest Lab")
            .unwrap()
            .to_owned();
        let random = l
            .auth_token_value(&fixtures.lac, "demo", "Nightly export")
            .unwrap()
            .to_owned();
        assert!(random.len() >= 22, "a random value of at least 128 bits");
        let c = l.authorize(0, &header(&chosen), &Method::POST).unwrap();
        assert_eq!(c.user_identifier, None);
        assert_eq!(c.roles, vec!["Full access".to_owned()]);
        let c = l.authorize(0, &header(&random), &Method::GET).unwrap();
        assert_eq!(c.user_identifier.as_deref(), Some("nightly-export"));
        let v = l.revalidate(0, &chosen).unwrap();
        assert_eq!(v.expiration, None, "no expiration was set");
        let v = l.revalidate(0, &random).unwrap();
        assert_eq!(v.expiration.as_deref(), Some("2099-12-31T23:59:59.999"));
        l.disable(0, &random).unwrap();
        assert!(l.authorize(0, &header(&random), &Method::GET).is_err());
        assert!(l.authorize(0, &header(&chosen), &Method::GET).is_ok());
    }

    #[tokio::test]
    async fn a_password_change_is_judged_by_the_policy_and_the_provider() {
        let l = lac(LacConfig::default());
        let out = l
            .sign_on(
                0,
                "bob",
                "bob-Pa55word",
                Some(NewPassword::Given("short".into())),
                Source::UNKNOWN,
            )
            .await
            .unwrap();
        let change = out.change.unwrap();
        assert_eq!(change.result, ChangeResult::Failure);
        assert!(change.message.contains("too short"), "{}", change.message);
        assert!(out.key.is_some(), "a token whatever the result");

        let custom = l.api_index("demo_custom").unwrap();
        let out = l
            .sign_on(
                custom,
                "bob",
                "bob-Pa55word",
                Some(NewPassword::Given("bob-N3w-pass".into())),
                Source::UNKNOWN,
            )
            .await
            .unwrap();
        assert_eq!(out.change.unwrap().result, ChangeResult::NotSupported);
        assert!(out.key.is_some());

        let out = l
            .sign_on(
                0,
                "bob",
                "bob-Pa55word",
                Some(NewPassword::Given("bob-N3w-pass".into())),
                Source::UNKNOWN,
            )
            .await
            .unwrap();
        assert_eq!(out.change.unwrap().result, ChangeResult::Success);
        let e = l
            .sign_on(0, "bob", "bob-Pa55word", None, Source::UNKNOWN)
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(
            l.sign_on(custom, "bob", "bob-N3w-pass", None, Source::UNKNOWN)
                .await
                .is_ok(),
            "one directory"
        );
    }

    #[tokio::test]
    async fn a_wrong_current_password_changes_nothing() {
        let l = lac(LacConfig::default());
        let e = l
            .sign_on(
                0,
                "bob",
                "nope",
                Some(NewPassword::Given("bob-N3w-pass".into())),
                Source::UNKNOWN,
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(
            l.sign_on(0, "bob", "bob-Pa55word", None, Source::UNKNOWN)
                .await
                .is_ok()
        );
        assert!(
            l.sign_on(0, "bob", "bob-N3w-pass", None, Source::UNKNOWN)
                .await
                .is_err()
        );
    }

    /// R10 of the 2026-12 audit, made deterministic: one hashing worker is
    /// held until all twenty changes have queued their password check, so
    /// every check sees the same current password before any new hash is
    /// written. Exactly one change succeeds; the rest answer `failure`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_password_changes_are_compare_and_set() {
        use crate::secret::HashPoolSize;
        let hashing = PasswordHashing::with_pool(
            HashCost::Test,
            HashPoolSize {
                workers: 1,
                queue: 64,
            },
        );
        let l = Lac::new(
            &Fixtures::builtin().lac,
            hashing.clone(),
            Clock::new(),
            None,
            LacConfig::default(),
        );
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let held = tokio::spawn(async move { hashing.run(move |_| gate.recv()).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let changes: Vec<_> = (0..20)
            .map(|i| {
                let l = l.clone();
                tokio::spawn(async move {
                    let new = NewPassword::Given(format!("bob-N3w-pass-{i}"));
                    let out = l
                        .sign_on(0, "bob", "bob-Pa55word", Some(new), Source::UNKNOWN)
                        .await
                        .expect("the current password was right when checked");
                    (i, out.change.expect("a change was asked for").result)
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        release.send(()).unwrap();
        held.await.unwrap().unwrap().unwrap();
        let mut winners = Vec::new();
        for change in changes {
            let (i, result) = change.await.unwrap();
            match result {
                ChangeResult::Success => winners.push(i),
                ChangeResult::Failure => {}
                ChangeResult::NotSupported => panic!("the built-in provider"),
            }
        }
        assert_eq!(winners.len(), 1, "{winners:?}");
        let new = format!("bob-N3w-pass-{}", winners[0]);
        assert!(
            l.sign_on(0, "bob", &new, None, Source::UNKNOWN)
                .await
                .is_ok()
        );
        let other = format!("bob-N3w-pass-{}", (winners[0] + 1) % 20);
        assert!(
            l.sign_on(0, "bob", &other, None, Source::UNKNOWN)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn expired_tokens_are_kept_for_a_while_then_forgotten() {
        let l = lac(LacConfig::default());
        let k = sign_on(&l, "alice", "alice-Pa55word").await;
        l.clock.advance(24 * 3600).unwrap();
        let e = l.revalidate(0, &k.apikey).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::UNAUTHORIZED, 4012));
        l.disable(0, &k.apikey)
            .expect("disabling an expired token succeeds");
        l.clock.advance(7 * 24 * 3600).unwrap();
        sign_on(&l, "bob", "bob-Pa55word").await;
        let e = l.disable(0, &k.apikey).unwrap_err();
        assert_eq!(
            e.status,
            StatusCode::NOT_FOUND,
            "forgotten after the retention"
        );
    }

    #[tokio::test]
    async fn sign_on_tokens_per_user_are_bounded_oldest_first() {
        let l = lac(LacConfig {
            max_keys_per_user: 3,
            ..LacConfig::default()
        });
        let admin_tokens = l.key_count(0);
        let mut keys = Vec::new();
        for _ in 0..5 {
            keys.push(sign_on(&l, "alice", "alice-Pa55word").await.apikey);
        }
        assert_eq!(l.key_count(0), admin_tokens + 3);
        assert!(l.authorize(0, &header(&keys[0]), &Method::GET).is_err());
        assert!(l.authorize(0, &header(&keys[4]), &Method::GET).is_ok());
    }

    #[test]
    fn the_policy_says_why() {
        let p = PasswordPolicy::default();
        assert!(p.check("Password1").is_ok());
        assert!(p.check("a").unwrap_err().contains("too short"));
        assert!(p.check("passwordonly").unwrap_err().contains("digit"));
        assert!(p.check("1234567890").unwrap_err().contains("letter"));
        assert!(p.check(&"a1".repeat(100)).unwrap_err().contains("too long"));
    }
}
