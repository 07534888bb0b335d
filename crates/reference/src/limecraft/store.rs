//! The state of the Limecraft reference server and every rule it enforces:
//! accounts, sessions and their lifetimes, two-factor enrolment and validation.
//!
//! Handlers only translate HTTP to calls here; a rule lives in exactly one
//! method below. Faults (`--fault`) are applied here too, next to the rule they
//! break, so reading a rule shows how it can be broken.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use serde::Serialize;

use super::switches;
use super::wire::{ApiError, PresentedToken, Transport};
use crate::clock::{Clock, UnixSeconds};
use crate::fault::Fault;
use crate::fixtures::{AccountState, LimecraftFixtures, LimecraftUser};
use crate::issued::Issued;
use crate::secret::{PasswordHashing, Token, TokenDigest};
use crate::switch::Switches;
use crate::throttle::{AccountKey, LoginThrottle, Source, ThrottleConfig};
use crate::totp::{self, TotpParams};

/// How seed 003's own sample client computes a code, whatever is advertised:
/// `totp('ABCDEFGHIJKLM', {digits: 6, algorithm: 'SHA-1', period: 30})`.
pub const SAMPLE_CLIENT: TotpParams = TotpParams {
    algorithm: totp::Algorithm::SHA1,
    digits: 6,
    period: 30,
};

/// Lifetimes and TOTP settings; the defaults are the documented values.
#[derive(Clone, Debug)]
pub struct LimecraftConfig {
    /// The advertised TOTP parameters (the seed's example: SHA512, 6, 30 s).
    /// Codes of [`SAMPLE_CLIENT`] are accepted too, unless
    /// `limecraft.totp-algorithm` says otherwise.
    pub totp: TotpParams,
    /// Periods of clock drift tolerated either side (RFC 6238 §5.2: one;
    /// `limecraft.code-window=0`: none).
    pub totp_skew: u8,
    /// Seconds a session lasts without rememberMe (documented: 1 hour).
    pub session_ttl: i64,
    /// Seconds a session lasts with rememberMe (documented: 1 week).
    pub remember_ttl: i64,
    /// Seconds a 2FA login's temporary token may wait for its code.
    pub temporary_ttl: i64,
    /// Wrong codes a temporary token may submit before it is revoked.
    pub max_code_attempts: u8,
    /// Wrong codes an account may receive, over all its temporary tokens, before
    /// code checks stop for `code_lockout` seconds (RFC 4226 §7.3 throttling).
    pub max_codes_per_account: u32,
    pub code_lockout: i64,
    /// Live sessions kept per user; the oldest is ended beyond this. Temporary
    /// (2FA pending) tokens have a cap of their own of the same size: they
    /// never end a completed session.
    pub max_sessions_per_user: usize,
    /// Failed logins per name before 429 (a reference choice, `throttle.rs`).
    pub login_throttle: Option<ThrottleConfig>,
    /// The choices where seed 003 is silent (`super::switches`); the
    /// reference server's by default. Every documented rule holds whatever
    /// their values.
    pub switches: Switches,
}

impl Default for LimecraftConfig {
    fn default() -> Self {
        LimecraftConfig {
            totp: TotpParams::default(),
            totp_skew: 1,
            session_ttl: 3600,
            remember_ttl: 7 * 24 * 3600,
            temporary_ttl: 300,
            max_code_attempts: 5,
            max_codes_per_account: 10,
            code_lockout: 15 * 60,
            max_sessions_per_user: 256,
            login_throttle: Some(ThrottleConfig::default()),
            switches: Switches::default(),
        }
    }
}

struct User {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    state: AccountState,
    support: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    created: UnixSeconds,
    version: i64,
    two_factor: Option<TwoFactor>,
    /// The User object's JSON as of `version`, made on the first GET after a
    /// change: every change to a field of the view bumps `version`.
    view: Option<(i64, axum::body::Bytes)>,
}

impl User {
    /// The stored record of a seeded (or added) account: only the password's hash is kept.
    fn seeded(u: &LimecraftUser, hashing: &PasswordHashing, now: UnixSeconds) -> User {
        User {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            password_hash: hashing.hash(&u.password),
            state: u.state,
            support: u.support,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            created: now,
            version: 1,
            two_factor: None,
            view: None,
        }
    }
}

struct TwoFactor {
    secret: Vec<u8>,
    /// On: logins ask for a second token. Off while it waits for the first
    /// code that confirms it (`limecraft.enable2fa-confirm`).
    confirmed: bool,
    /// The newest time step whose code was accepted; it and older steps are refused.
    last_used_step: Option<i64>,
    /// Wrong codes since the last accepted one, over every temporary token.
    failed_codes: u32,
    /// Code checks are refused until then, after too many wrong codes.
    locked_until: Option<UnixSeconds>,
}

#[derive(Clone, Copy, Debug)]
enum SessionKind {
    Final,
    /// Issued by a login that needs a second factor; only 2fa/validate accepts it.
    Temporary {
        remember_me: bool,
        failed_codes: u8,
    },
}

#[derive(Clone, Debug)]
struct Session {
    user_id: i64,
    kind: SessionKind,
    expires_at: UnixSeconds,
}

struct Store {
    users: BTreeMap<i64, User>,
    /// The users' login names, so that a login finds its user without a pass
    /// over every user under the lock (issue #24).
    names: LoginNames,
    /// Owned by their user and kind; forgotten when they expire.
    sessions: Issued<SessionOwner, Session>,
}

/// A user's id by username (as given) or email (any ASCII case): the two
/// names a login accepts. Usernames and emails never change once added.
#[derive(Default)]
struct LoginNames {
    by_username: HashMap<String, i64>,
    /// Keys in ASCII lower case.
    by_email: HashMap<String, i64>,
    /// Every username in ASCII lower case: a new user's may not be one in any case.
    usernames_folded: HashSet<String>,
}

impl LoginNames {
    /// Records `u`'s names; a name already taken keeps its first user, as
    /// a pass over the users in id order would find it.
    fn add(&mut self, u: &User) {
        self.by_username.entry(u.username.clone()).or_insert(u.id);
        self.usernames_folded
            .insert(u.username.to_ascii_lowercase());
        self.by_email
            .entry(u.email.to_ascii_lowercase())
            .or_insert(u.id);
    }

    /// The user a login as `name` is for: the lowest id whose username is
    /// `name` or, when `emails` allows, whose email is `name` in any case.
    fn find(&self, name: &str, emails: bool) -> Option<i64> {
        let by_username = self.by_username.get(name).copied();
        let by_email = emails
            .then(|| self.by_email.get(&name.to_ascii_lowercase()).copied())
            .flatten();
        by_username.into_iter().chain(by_email).min()
    }

    /// Whether a new user with these names would clash with one already in:
    /// the same username or email in any case.
    fn taken(&self, username: &str, email: &str) -> bool {
        self.usernames_folded
            .contains(&username.to_ascii_lowercase())
            || self.by_email.contains_key(&email.to_ascii_lowercase())
    }
}

/// Whose a session is, and whether it is a temporary (2FA pending) one: each
/// kind has its own per-user cap, so logins that stop at the password never
/// end a user's completed sessions (issue #26, R11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct SessionOwner {
    user_id: i64,
    temporary: bool,
}

/// The Limecraft reference server's state (shared as [`Limecraft`]).
pub struct LimecraftState {
    store: Arc<Mutex<Store>>,
    hashing: PasswordHashing,
    clock: Clock,
    fault: Option<Fault>,
    config: Arc<LimecraftConfig>,
    throttle: Arc<LoginThrottle>,
}

crate::shared_state!(Limecraft => LimecraftState);

/// What a successful first login step returns.
pub struct LoginOutcome {
    pub token: Token,
    pub needs_second_token: bool,
}

/// What a successful 2fa/validate did.
pub enum Validated {
    /// A login's temporary token and its code: the final token.
    Final(Token),
    /// A session's token and a first code turned the waiting second factor on
    /// (`limecraft.enable2fa-confirm=validate-code`).
    Confirmed,
}

/// The `type` of an enable2fa request that confirms a waiting second factor
/// with its first code (`limecraft.enable2fa-confirm=enable-type-code`).
pub const ENABLING: &str = "TWO_FA_AUTHENTICATOR_ENABLING";

/// The body of a successful enable2fa call.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorEnrolment {
    pub key: String,
    pub qr: String,
    pub hashing_algorithm: String,
    pub digits: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
}

/// What `createdBy` and `modifiedBy` name: the process that made the record.
const REFERENCE_PROCESS: &str = "authconform-reference";

/// The User object of GET /authentication/user. Fields are declared in
/// alphabetical order so the JSON keys come out sorted, as the snapshots pin
/// them; absent optional fields are left out rather than sent as null.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub created: String,
    pub created_by: &'static str,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub has_avatar: bool,
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    pub last_updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<&'static str>,
    pub object_type: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub username: String,
    pub version: i64,
}

/// The caller of an authenticated request.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub user_id: i64,
}

impl Limecraft {
    pub fn new(
        fixtures: &LimecraftFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LimecraftConfig,
    ) -> Self {
        Limecraft(Arc::new(LimecraftState::new(
            fixtures, hashing, clock, fault, config,
        )))
    }
}

impl LimecraftState {
    fn new(
        fixtures: &LimecraftFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LimecraftConfig,
    ) -> Self {
        let now = clock.now();
        let users: BTreeMap<i64, User> = fixtures
            .users
            .iter()
            .map(|u| (u.id, User::seeded(u, &hashing, now)))
            .collect();
        let mut names = LoginNames::default();
        users.values().for_each(|u| names.add(u));
        LimecraftState {
            store: Arc::new(Mutex::new(Store {
                users,
                names,
                sessions: Issued::new(),
            })),
            hashing,
            clock,
            fault: fault.filter(|f| f.vendor() == crate::vendor::Vendor::Limecraft),
            throttle: Arc::new(LoginThrottle::new(config.login_throttle)),
            config: Arc::new(config),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock would be a bug; the state is still consistent
        // (every mutation is a single insert or remove), so keep serving.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faulty(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    /// Whether this server was started with `fault`; for the faults that live in handlers.
    pub fn fault_is(&self, fault: Fault) -> bool {
        self.faulty(fault)
    }

    /// The choices this server makes where the seed is silent.
    pub fn switches(&self) -> &Switches {
        &self.config.switches
    }

    /// The server's time, for the Spring error bodies (`limecraft.error-body`).
    pub fn now(&self) -> UnixSeconds {
        self.clock.now()
    }

    /// Whether `presented` is a live session token, final or temporary.
    pub fn is_live_token(&self, presented: &str) -> bool {
        self.store()
            .live_session(&TokenDigest::of(presented), self.clock.now(), false)
            .is_some()
    }

    /// The presented token, unless a fault makes its transport ignored.
    pub fn usable_transport(&self, presented: Option<PresentedToken>) -> Option<PresentedToken> {
        presented.filter(|p| match p.transport {
            Transport::Query => !self.faulty(Fault::QueryTokenIgnored),
            Transport::Cookie => !self.faulty(Fault::CookieTokenIgnored),
            Transport::Bearer => true,
        })
    }

    /// Turns failed-login throttling on (or off with `None`); the mocks'
    /// `Limecraft::set_login_throttle`.
    pub fn set_login_throttle(&self, config: Option<ThrottleConfig>) {
        self.throttle.set(config);
    }

    /// POST /authentication/login.
    ///
    /// The password is checked before the account state, so a locked or disabled
    /// account reveals its state only to someone who knows its password; an
    /// unknown user costs the same Argon2 time as a wrong password.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        remember_me: bool,
        source: Source,
    ) -> Result<LoginOutcome, ApiError> {
        let found = {
            let store = self.store();
            store
                .names
                .find(username, !self.faulty(Fault::EmailLoginRefused))
                .and_then(|id| store.users.get(&id))
                .map(|u| (u.id, u.password_hash.clone()))
        };
        // One counter per account, whichever of its names is given.
        let id = found.as_ref().map(|(id, _)| id.to_string());
        let attempt = self
            .throttle
            .begin(
                AccountKey::of_login(id.as_deref(), username),
                source,
                self.clock.now(),
            )
            .await
            .map_err(|limited| ApiError::too_many_attempts(limited.retry_after))?;
        let unknown_user = found.is_none();
        let hashing = self.hashing.clone();
        let password = password.to_owned();
        let verified = hashing
            .run(move |hashing| match &found {
                Some((id, hash)) => hashing.verify(&password, hash).then_some(*id),
                None => hashing.verify_decoy(&password).then_some(0),
            })
            .await
            .map_err(|busy| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, busy.to_string()))?;
        let Some(user_id) = verified else {
            attempt.failed(self.clock.now());
            if self.faulty(Fault::UnknownUserNotFound) && unknown_user {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "The user was not found.",
                ));
            }
            return Err(ApiError::not_authorized(username));
        };
        attempt.succeeded(self.clock.now());

        let now = self.clock.now();
        let mut store = self.store();
        let user = store
            .users
            .get(&user_id)
            .ok_or_else(|| ApiError::not_authorized(username))?;
        match user.state {
            AccountState::Active => {}
            AccountState::Disabled if self.faulty(Fault::DisabledAccountLogsIn) => {}
            AccountState::Disabled => return Err(ApiError::not_authorized(username)),
            AccountState::Locked if self.faulty(Fault::LockedAccount401) => {
                return Err(ApiError::not_authorized(username));
            }
            AccountState::Locked => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!("{username} is locked."),
                ));
            }
        }
        let needs_second_token = user.two_factor.as_ref().is_some_and(|tf| tf.confirmed)
            && !self.faulty(Fault::SecondFactorSkipped);
        let (kind, ttl) = if needs_second_token {
            let kind = SessionKind::Temporary {
                remember_me,
                failed_codes: 0,
            };
            (kind, self.config.temporary_ttl)
        } else {
            (SessionKind::Final, self.final_ttl(remember_me))
        };
        let token = store.open_session(user_id, kind, now, ttl, self.config.max_sessions_per_user);
        Ok(LoginOutcome {
            token,
            needs_second_token,
        })
    }

    fn final_ttl(&self, remember_me: bool) -> i64 {
        if remember_me && !self.faulty(Fault::RememberMeIgnored) {
            self.config.remember_ttl
        } else if self.faulty(Fault::SessionTooShort) {
            self.config.session_ttl / 2
        } else {
            self.config.session_ttl
        }
    }

    /// The caller of a request that must carry a live final session token.
    pub fn authenticate(&self, presented: Option<&str>) -> Result<Caller, ApiError> {
        self.authenticate_allowing(presented, false)
    }

    /// [`Self::authenticate`], also letting a 2FA login's temporary token in
    /// when `temporary` (GET /authentication/user under
    /// `limecraft.temporary-token-user=answers-user`).
    pub fn authenticate_allowing(
        &self,
        presented: Option<&str>,
        temporary: bool,
    ) -> Result<Caller, ApiError> {
        let store = self.store();
        if self.faulty(Fault::AnyTokenAccepted)
            && presented.is_some()
            && let Some(user) = store.users.values().next()
        {
            return Ok(Caller { user_id: user.id });
        }
        let presented = presented.ok_or_else(ApiError::missing_token)?;
        let digest = TokenDigest::of(presented);
        let session = store
            .live_session(
                &digest,
                self.clock.now(),
                self.faulty(Fault::SessionNeverExpires),
            )
            .ok_or_else(invalid_token)?;
        match session.kind {
            SessionKind::Final => {}
            SessionKind::Temporary { .. }
                if temporary || self.faulty(Fault::TemporaryTokenAuthorizes) => {}
            SessionKind::Temporary { .. } => {
                return Err(ApiError::unauthorized(
                    "This token awaits its second factor: validate it with /authentication/2fa/validate first.",
                ));
            }
        }
        Ok(Caller {
            user_id: session.user_id,
        })
    }

    /// GET /authentication/user: the User object, required fields always present.
    pub fn user_view(&self, caller: Caller) -> Result<UserView, ApiError> {
        let store = self.store();
        let u = store.users.get(&caller.user_id).ok_or_else(invalid_token)?;
        Ok(self.view_of(u))
    }

    /// [`Self::user_view`] as its JSON bytes, kept per user until the user
    /// changes (the token-validated route answers these bytes).
    pub fn user_view_json(&self, caller: Caller) -> Result<axum::body::Bytes, ApiError> {
        let mut store = self.store();
        let u = store
            .users
            .get_mut(&caller.user_id)
            .ok_or_else(invalid_token)?;
        if let Some((version, json)) = &u.view
            && *version == u.version
        {
            return Ok(json.clone());
        }
        let json = axum::body::Bytes::from(
            serde_json::to_vec(&self.view_of(u))
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
        );
        u.view = Some((u.version, json.clone()));
        Ok(json)
    }

    fn view_of(&self, u: &User) -> UserView {
        let full_name = match (&u.first_name, &u.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.clone()),
            (None, Some(l)) => Some(l.clone()),
            (None, None) => None,
        };
        let created = rfc3339(u.created);
        UserView {
            last_updated: created.clone(),
            created,
            created_by: REFERENCE_PROCESS,
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            full_name,
            has_avatar: false,
            id: u.id,
            last_name: u.last_name.clone(),
            modified_by: (!self.faulty(Fault::UserMissingRequiredField))
                .then_some(REFERENCE_PROCESS),
            object_type: "User",
            kind: "REGISTERED",
            username: u.username.clone(),
            version: u.version,
        }
    }

    /// POST /user/{id}/enable2fa. Existence is checked before permission
    /// (`limecraft.enable2fa-precedence`: or permission first): an unknown id
    /// is 404 for everyone.
    ///
    /// Replacing a user's own second factor takes proof of the current one: a
    /// valid code as `current_code` (the request's `token`), so a stolen session
    /// alone cannot swap the authenticator (`limecraft.re-enable=redo-flag`:
    /// `redo: true` instead). A SUPPORT user may reset another user's second
    /// factor without it (`limecraft.support-re-enable=as-own`: with it too).
    ///
    /// The new key is on at once, or (`limecraft.enable2fa-confirm`) waits,
    /// with logins asking no second token, for a first code: by 2fa/validate
    /// with the user's session ([`Self::validate_two_factor`]), or by this
    /// call with `kind` (the request's `type`) TWO_FA_AUTHENTICATOR_ENABLING
    /// and the code as `current_code`, which answers the waiting key again.
    pub fn enable_two_factor(
        &self,
        caller: Caller,
        target_id: Option<i64>,
        current_code: Option<&str>,
        redo: bool,
        kind: Option<&str>,
    ) -> Result<TwoFactorEnrolment, ApiError> {
        let mut store = self.store();
        let exists = target_id.is_some_and(|id| store.users.contains_key(&id));
        let caller_has_support = store.users.get(&caller.user_id).is_some_and(|u| u.support);
        let permitted = |id: Option<i64>| {
            id == Some(caller.user_id)
                || (caller_has_support && !self.faulty(Fault::Enable2faSupportRefused))
                || self.faulty(Fault::Enable2faAnyUser)
        };
        let permission_first = self
            .config
            .switches
            .is(&switches::ENABLE2FA_PRECEDENCE, "permission-403-first");
        if permission_first && !permitted(target_id) {
            return Err(forbidden_other_user());
        }
        if !exists {
            if self.faulty(Fault::Enable2faUnknownUser403) {
                return Err(forbidden_other_user());
            }
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "The user was not found.",
            ));
        }
        if !permitted(target_id) {
            return Err(forbidden_other_user());
        }
        let target_id = target_id.unwrap_or_default();
        let now = self.clock.now();
        let confirm = self.confirm_by();
        if confirm == "enable-type-code" && kind == Some(ENABLING) {
            return self.confirm_two_factor(&mut store, target_id, current_code, now);
        }
        let needs_proof = target_id == caller.user_id
            || self
                .config
                .switches
                .is(&switches::SUPPORT_RE_ENABLE, "as-own");
        if needs_proof
            && let Some(tf) = store
                .users
                .get(&target_id)
                .and_then(|u| u.two_factor.as_ref())
                .filter(|tf| tf.confirmed)
        {
            let proven = if self.faulty(Fault::Enable2faRedoRefused) {
                false
            } else if self.config.switches.is(&switches::RE_ENABLE, "redo-flag") {
                redo
            } else {
                self.check_code(tf, current_code.unwrap_or(""), now)
                    .is_some()
            };
            if !proven {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    if self.config.switches.is(&switches::RE_ENABLE, "redo-flag") {
                        "Two-factor authentication is already on: send `redo: true` to enable it again."
                    } else {
                        "Two-factor authentication is already on: send a current code as `token` to replace it."
                    },
                ));
            }
        }
        let secret = totp::generate_secret();
        let user = store
            .users
            .get_mut(&target_id)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "The user was not found."))?;
        let enrolment = self.enrolment(&user.username, &secret);
        if self.faulty(Fault::Enable2faNeverOn) {
            return Ok(enrolment);
        }
        // Under `limecraft.totp-replay=account` the old key's used steps
        // (and its wrong codes and lockout) stay with the user.
        let kept = user
            .two_factor
            .take()
            .filter(|_| self.config.switches.is(&switches::TOTP_REPLAY, "account"));
        user.two_factor = Some(TwoFactor {
            secret,
            confirmed: confirm == "at-once",
            last_used_step: kept.as_ref().and_then(|k| k.last_used_step),
            failed_codes: kept.as_ref().map_or(0, |k| k.failed_codes),
            locked_until: kept.and_then(|k| k.locked_until),
        });
        user.version += 1;
        Ok(enrolment)
    }

    /// How a new second factor is turned on (`limecraft.enable2fa-confirm`).
    fn confirm_by(&self) -> &'static str {
        self.config.switches.value(&switches::ENABLE2FA_CONFIRM)
    }

    /// enable2fa's answer for `secret`.
    fn enrolment(&self, username: &str, secret: &[u8]) -> TwoFactorEnrolment {
        let params = self.config.totp;
        let key = if self.faulty(Fault::Enable2faKeyHex) {
            secret.iter().map(|b| format!("{b:02x}")).collect()
        } else {
            totp::encode_secret(secret)
        };
        TwoFactorEnrolment {
            key,
            qr: totp::otpauth_uri(params, secret, "Limecraft Flow", username),
            hashing_algorithm: totp::algorithm_name(params.algorithm).to_owned(),
            digits: params.digits,
            period: (!self.faulty(Fault::Enable2faFieldMissing)).then_some(params.period),
        }
    }

    /// Turns on `user_id`'s waiting second factor when `code` is one of its
    /// codes; the waiting key's enrolment again.
    fn confirm_two_factor(
        &self,
        store: &mut Store,
        user_id: i64,
        code: Option<&str>,
        now: UnixSeconds,
    ) -> Result<TwoFactorEnrolment, ApiError> {
        let user = store
            .users
            .get_mut(&user_id)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "The user was not found."))?;
        let Some(tf) = user.two_factor.as_mut().filter(|tf| !tf.confirmed) else {
            return Err(ApiError::bad_request(
                "No two-factor authentication waits for its confirmation.",
            ));
        };
        let Some(step) = self.check_code(tf, code.unwrap_or(""), now) else {
            self.count_wrong_code(tf, now);
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The verification code is not valid.",
            ));
        };
        tf.confirmed = true;
        tf.last_used_step = Some(step);
        tf.failed_codes = 0;
        let secret = tf.secret.clone();
        user.version += 1;
        let username = user.username.clone();
        Ok(self.enrolment(&username, &secret))
    }

    /// A wrong code against `tf`: counted for the account, which stops
    /// checking codes for a while after too many.
    fn count_wrong_code(&self, tf: &mut TwoFactor, now: UnixSeconds) {
        tf.failed_codes += 1;
        if tf.failed_codes >= self.config.max_codes_per_account {
            tf.failed_codes = 0;
            tf.locked_until = Some(now + self.config.code_lockout);
        }
    }

    /// POST /authentication/2fa/validate: a temporary token and a code become a
    /// final token. The temporary token ends on success, and after too many wrong codes.
    ///
    /// Under `limecraft.enable2fa-confirm=validate-code` a session's final
    /// token and a code of the user's waiting second factor turn it on
    /// ([`Validated::Confirmed`]); the session goes on.
    pub fn validate_or_confirm(
        &self,
        presented: Option<&str>,
        code: Option<&str>,
        remember_me: Option<bool>,
    ) -> Result<Validated, ApiError> {
        let presented = presented.ok_or_else(ApiError::missing_token)?;
        let digest = TokenDigest::of(presented);
        let now = self.clock.now();
        let mut store = self.store();
        let session = store
            .live_session(&digest, now, false)
            .ok_or_else(invalid_token)?
            .clone();
        let waiting = || {
            store
                .users
                .get(&session.user_id)
                .and_then(|u| u.two_factor.as_ref())
                .is_some_and(|tf| !tf.confirmed)
        };
        let login_remember_me = match session.kind {
            SessionKind::Temporary { remember_me, .. } => remember_me,
            SessionKind::Final if self.confirm_by() == "validate-code" && waiting() => {
                self.confirm_two_factor(&mut store, session.user_id, code, now)
                    .map_err(|e| ApiError::unauthorized(e.message))?;
                return Ok(Validated::Confirmed);
            }
            SessionKind::Final if self.faulty(Fault::ValidateAcceptsFinalToken) => false,
            SessionKind::Final => {
                return Err(ApiError::unauthorized(
                    "This call needs the temporary token of a login that asked for a second factor.",
                ));
            }
        };
        let code = code.unwrap_or("");
        let matched = {
            let user = store
                .users
                .get(&session.user_id)
                .ok_or_else(invalid_token)?;
            let tf = user.two_factor.as_ref().ok_or_else(|| {
                ApiError::unauthorized("Two-factor authentication is not enabled.")
            })?;
            self.check_code(tf, code, now)
        };
        let Some(step) = matched else {
            let attempts = if self.config.switches.is(&switches::WRONG_CODE_ATTEMPTS, "1") {
                1
            } else {
                self.config.max_code_attempts
            };
            store.count_failed_code(&digest, attempts);
            if let Some(tf) = store
                .users
                .get_mut(&session.user_id)
                .and_then(|u| u.two_factor.as_mut())
            {
                self.count_wrong_code(tf, now);
            }
            return Err(ApiError::unauthorized(
                "The verification code is not valid.",
            ));
        };
        if let Some(tf) = store
            .users
            .get_mut(&session.user_id)
            .and_then(|u| u.two_factor.as_mut())
        {
            tf.last_used_step = Some(step);
            tf.failed_codes = 0;
        }
        store.sessions.remove(&digest);
        let remember = if self.faulty(Fault::ValidateIgnoresRememberMe) {
            false
        } else {
            remember_me.unwrap_or(login_remember_me)
        };
        let ttl = self.final_ttl(remember);
        Ok(Validated::Final(store.open_session(
            session.user_id,
            SessionKind::Final,
            now,
            ttl,
            self.config.max_sessions_per_user,
        )))
    }

    /// [`Self::validate_or_confirm`] for a login's temporary token: its final token.
    pub fn validate_two_factor(
        &self,
        presented: Option<&str>,
        code: Option<&str>,
        remember_me: Option<bool>,
    ) -> Result<Token, ApiError> {
        match self.validate_or_confirm(presented, code, remember_me)? {
            Validated::Final(token) => Ok(token),
            Validated::Confirmed => Err(ApiError::bad_request(
                "The code turned two-factor authentication on: no token is issued.",
            )),
        }
    }

    /// The step a code matches, under the parameters this server checks
    /// (`limecraft.totp-algorithm`: the advertised ones and the sample
    /// client's, or one of them), the replay rule and the account's lockout
    /// after too many wrong codes.
    fn check_code(&self, tf: &TwoFactor, code: &str, now: UnixSeconds) -> Option<i64> {
        if tf.locked_until.is_some_and(|until| now < until) {
            return None;
        }
        let digits_only = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
        if self.faulty(Fault::TotpAnyCode) {
            return (digits_only && code.len() == self.config.totp.digits)
                .then(|| totp::step_of(now, self.config.totp.period));
        }
        if !digits_only {
            return None;
        }
        let skew = if self.faulty(Fault::TotpWideWindow) {
            3
        } else if self.faulty(Fault::TotpNoSkew)
            || self.config.switches.is(&switches::CODE_WINDOW, "0")
        {
            0
        } else {
            self.config.totp_skew
        };
        let step = self
            .checked_params()
            .into_iter()
            .filter(|p| p.digits == code.len())
            .find_map(|p| totp::matching_step(p, &tf.secret, code, now, skew))?;
        let replayed = tf.last_used_step.is_some_and(|last| step <= last);
        if replayed && !self.faulty(Fault::TotpReuseAccepted) {
            return None;
        }
        Some(step)
    }

    /// The parameters whose codes this server accepts.
    fn checked_params(&self) -> Vec<TotpParams> {
        let advertised = self.config.totp;
        if self.faulty(Fault::TotpWrongAlgorithm) {
            return vec![TotpParams {
                algorithm: totp::Algorithm::SHA256,
                ..advertised
            }];
        }
        match self.config.switches.value(&switches::TOTP_ALGORITHM) {
            "advertised" => vec![advertised],
            "sample" => vec![SAMPLE_CLIENT],
            _ if advertised == SAMPLE_CLIENT => vec![advertised],
            _ => vec![advertised, SAMPLE_CLIENT],
        }
    }

    /// POST /authentication/logout: ends the presented session, or with
    /// `allSessions` every session of its user.
    pub fn logout(&self, presented: Option<&str>, all_sessions: bool) -> Result<(), ApiError> {
        if self.faulty(Fault::LogoutInvalidToken500) {
            let known =
                presented.is_some_and(|p| self.store().sessions.contains(&TokenDigest::of(p)));
            if !known {
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "logout failed",
                ));
            }
        }
        let presented = presented.ok_or_else(ApiError::missing_token)?;
        let digest = TokenDigest::of(presented);
        let now = self.clock.now();
        let mut store = self.store();
        let session = store
            .live_session(&digest, now, false)
            .ok_or_else(invalid_token)?;
        let user_id = session.user_id;
        // A temporary token proves only the password: it may abandon its own
        // pending login, not end the user's real sessions.
        if all_sessions && matches!(session.kind, SessionKind::Temporary { .. }) {
            return Err(ApiError::unauthorized(
                "allSessions needs the token of a completed login, not a temporary one.",
            ));
        }
        if self.faulty(Fault::LogoutDoesNotRevoke) {
            return Ok(());
        }
        let end_all = if self.faulty(Fault::LogoutIgnoresAllSessions) {
            false
        } else {
            all_sessions || self.faulty(Fault::LogoutEndsAllSessions)
        };
        if end_all && self.faulty(Fault::LogoutEndsEveryonesSessions) {
            store.sessions.clear();
        } else if end_all
            && self.faulty(Fault::LogoutAllSparesOldest)
            && store.sessions.count_owned_by(&SessionOwner {
                user_id,
                temporary: false,
            }) >= 3
        {
            let mut oldest = true;
            store.sessions.retain_owned_by(
                &SessionOwner {
                    user_id,
                    temporary: false,
                },
                |_| std::mem::take(&mut oldest),
            );
            store.sessions.remove_owned_by(&SessionOwner {
                user_id,
                temporary: true,
            });
        } else if end_all {
            for temporary in [false, true] {
                store
                    .sessions
                    .remove_owned_by(&SessionOwner { user_id, temporary });
            }
        } else {
            store.sessions.remove(&digest);
        }
        Ok(())
    }

    /// Adds an account at run time (the mocks' builder), made exactly as a
    /// seeded one. Ids, usernames and emails stay unique, as the fixtures check
    /// them: a clash is an error naming it.
    pub fn add_user(&self, user: &LimecraftUser) -> Result<(), String> {
        let record = User::seeded(user, &self.hashing, self.clock.now());
        let mut store = self.store();
        if store.users.contains_key(&user.id) {
            return Err(format!("limecraft user id {} is taken", user.id));
        }
        if store.names.taken(&user.username, &user.email) {
            return Err(format!(
                "limecraft username or email of `{}` is taken",
                user.username
            ));
        }
        store.names.add(&record);
        store.users.insert(user.id, record);
        Ok(())
    }

    /// The id of the account with this username, if any.
    pub fn user_id(&self, username: &str) -> Option<i64> {
        self.store().names.find(username, false)
    }

    /// The smallest id above every existing one, for an account added at run time.
    pub fn next_user_id(&self) -> i64 {
        self.store()
            .users
            .keys()
            .next_back()
            .map_or(1, |id| id.saturating_add(1))
    }

    /// Locks, disables or reactivates an account (what an administrator does in
    /// the product); `login` applies the state. False for an unknown username.
    pub fn set_account_state(&self, username: &str, state: AccountState) -> bool {
        let mut store = self.store();
        let id = store.names.find(username, false);
        match id.and_then(|id| store.users.get_mut(&id)) {
            Some(user) => {
                user.state = state;
                user.version += 1;
                true
            }
            None => false,
        }
    }

    /// Bytes of what the store keeps per token itself (its own value, not
    /// counting what the value points to), for `bench/growth.sh`.
    pub fn token_value_bytes(&self) -> usize {
        std::mem::size_of::<Session>()
    }

    /// Number of stored sessions (live or not yet purged), for tests of the memory bound.
    pub fn session_count(&self) -> usize {
        self.store().sessions.len()
    }
}

impl Store {
    fn live_session(
        &self,
        digest: &TokenDigest,
        now: UnixSeconds,
        ignore_expiry: bool,
    ) -> Option<&Session> {
        self.sessions
            .get(digest)
            .map(|e| e.value)
            .filter(|s| ignore_expiry || now < s.expires_at)
    }

    fn open_session(
        &mut self,
        user_id: i64,
        kind: SessionKind,
        now: UnixSeconds,
        ttl: i64,
        max_per_user: usize,
    ) -> Token {
        // Expired sessions are dropped as new ones come, so the table stays
        // bounded by live sessions; a few at a time, so a login costs the same
        // with 1k or 1M of them.
        self.sessions.forget_due(now);
        let owner = SessionOwner {
            user_id,
            temporary: matches!(kind, SessionKind::Temporary { .. }),
        };
        self.sessions.make_room(&owner, max_per_user);
        let token = Token::generate();
        let expires_at = now + ttl;
        self.sessions.insert(
            token.digest(),
            Some(owner),
            Some(expires_at),
            Session {
                user_id,
                kind,
                expires_at,
            },
        );
        token
    }

    fn count_failed_code(&mut self, digest: &TokenDigest, max: u8) {
        let exhausted = match self.sessions.get_mut(digest) {
            Some(Session {
                kind: SessionKind::Temporary { failed_codes, .. },
                ..
            }) => {
                *failed_codes += 1;
                *failed_codes >= max
            }
            _ => false,
        };
        if exhausted {
            self.sessions.remove(digest);
        }
    }
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized("The access token is not valid or has expired.")
}

fn forbidden_other_user() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "The user can only request his own invitations or needs SUPPORT rights.",
    )
}

/// RFC 3339 in UTC, the `date-time` format of the spec.
fn rfc3339(t: UnixSeconds) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;
    use crate::secret::HashCost;

    fn store(config: LimecraftConfig) -> Limecraft {
        Limecraft::new(
            &Fixtures::builtin().limecraft,
            PasswordHashing::new(HashCost::Test),
            Clock::new(),
            None,
            config,
        )
    }

    fn user(id: i64, username: &str, email: &str) -> LimecraftUser {
        LimecraftUser {
            id,
            username: username.into(),
            email: email.into(),
            password: format!("Pa55word-{id}"),
            state: Default::default(),
            support: false,
            first_name: None,
            last_name: None,
        }
    }

    #[tokio::test]
    async fn a_login_finds_its_user_by_username_as_given_or_email_in_any_case() {
        let lc = store(LimecraftConfig::default());
        lc.add_user(&user(900, "Zed", "zed@Example.test")).unwrap();
        // Another user's username that is the first one's email: the lower id wins,
        // as a pass over the users in id order would have found.
        lc.add_user(&user(901, "zed@example.test", "other@example.test"))
            .unwrap();
        assert_eq!(lc.user_id("Zed"), Some(900));
        assert_eq!(lc.user_id("zed"), None, "usernames are matched as given");
        for name in ["Zed", "ZED@EXAMPLE.TEST", "zed@example.test"] {
            let login = lc.login(name, "Pa55word-900", false, Source::UNKNOWN).await;
            assert!(login.is_ok(), "login as {name}");
        }
        let other = lc
            .login("zed@example.test", "Pa55word-901", false, Source::UNKNOWN)
            .await;
        assert!(other.is_err(), "the name is the lower id's email first");
        let by_email_of_901 = lc
            .login("OTHER@example.test", "Pa55word-901", false, Source::UNKNOWN)
            .await;
        assert!(by_email_of_901.is_ok());
    }

    #[tokio::test]
    async fn live_sessions_per_user_are_bounded_oldest_first() {
        let lc = store(LimecraftConfig {
            max_sessions_per_user: 3,
            ..LimecraftConfig::default()
        });
        let mut tokens = Vec::new();
        for _ in 0..5 {
            let t = lc
                .login("alice", "alice-Pa55word", false, Source::UNKNOWN)
                .await
                .unwrap()
                .token;
            tokens.push(t.as_str().to_owned());
        }
        assert_eq!(lc.session_count(), 3);
        assert!(
            lc.authenticate(Some(&tokens[0])).is_err(),
            "the oldest session ended"
        );
        assert!(
            lc.authenticate(Some(&tokens[4])).is_ok(),
            "the newest session lives"
        );
    }

    /// Enables 2FA for carol and returns (a final token of hers, her secret).
    async fn carol_with_two_factor(lc: &Limecraft) -> Vec<u8> {
        let key = lc
            .enable_two_factor(Caller { user_id: 1003 }, Some(1003), None, false, None)
            .unwrap()
            .key;
        totp::decode_secret(&key).unwrap()
    }

    #[tokio::test]
    async fn a_temporary_token_cannot_end_all_sessions() {
        let lc = store(LimecraftConfig::default());
        let secret = carol_with_two_factor(&lc).await;
        let temp = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap()
            .token;
        let code = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
        let final_token = lc
            .validate_two_factor(Some(temp.as_str()), Some(&code), None)
            .unwrap();
        let pending = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap()
            .token;
        let e = lc.logout(Some(pending.as_str()), true).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(
            lc.authenticate(Some(final_token.as_str())).is_ok(),
            "carol's session survives"
        );
        lc.logout(Some(pending.as_str()), false)
            .expect("a temporary token may abandon itself");
    }

    #[tokio::test]
    async fn wrong_codes_over_many_logins_lock_code_checks_for_a_while() {
        let lc = store(LimecraftConfig::default());
        let secret = carol_with_two_factor(&lc).await;
        for _ in 0..10 {
            let temp = lc
                .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
                .await
                .unwrap()
                .token;
            assert!(
                lc.validate_two_factor(Some(temp.as_str()), Some("000000"), None)
                    .is_err()
                    || totp::code_at(TotpParams::default(), &secret, lc.clock.now()) == "000000"
            );
        }
        let temp = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap()
            .token;
        let right = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
        assert!(
            lc.validate_two_factor(Some(temp.as_str()), Some(&right), None)
                .is_err(),
            "locked: even the right code is refused"
        );
        lc.clock.advance(15 * 60 + 30).unwrap();
        let temp = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap()
            .token;
        let right = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
        assert!(
            lc.validate_two_factor(Some(temp.as_str()), Some(&right), None)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn replacing_the_second_factor_needs_a_current_code() {
        let lc = store(LimecraftConfig::default());
        let secret = carol_with_two_factor(&lc).await;
        let carol = Caller { user_id: 1003 };
        let e = lc
            .enable_two_factor(carol, Some(1003), None, false, None)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert!(
            lc.enable_two_factor(carol, Some(1003), Some("123456"), false, None)
                .is_err()
                || totp::code_at(TotpParams::default(), &secret, lc.clock.now()) == "123456"
        );
        let code = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
        assert!(
            lc.enable_two_factor(carol, Some(1003), Some(&code), false, None)
                .is_ok()
        );
        // SUPPORT may reset another user's second factor without her code.
        assert!(
            lc.enable_two_factor(Caller { user_id: 1006 }, Some(1003), None, false, None)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn expired_sessions_are_purged_on_the_next_login() {
        let lc = store(LimecraftConfig::default());
        lc.login("alice", "alice-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap();
        lc.login("bob", "bob-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap();
        lc.clock.advance(3601).unwrap();
        lc.login("alice", "alice-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap();
        assert_eq!(lc.session_count(), 1);
    }

    #[test]
    fn dates_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    /// carol's login: whether it asks for a second token, and its token.
    async fn carol_logs_in(lc: &Limecraft) -> (bool, Token) {
        let o = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap();
        (o.needs_second_token, o.token)
    }

    /// `limecraft.enable2fa-confirm`: the new key waits for a first code,
    /// logins asking for none meanwhile; only the switch's way turns it on.
    #[tokio::test]
    async fn a_waiting_second_factor_is_on_once_a_first_code_confirms_it() {
        for way in ["validate-code", "enable-type-code"] {
            let mut switches = Switches::default();
            switches.set(&switches::ENABLE2FA_CONFIRM, way).unwrap();
            let lc = store(LimecraftConfig {
                switches,
                ..LimecraftConfig::default()
            });
            let carol = Caller { user_id: 1003 };
            let key = lc
                .enable_two_factor(carol, Some(1003), None, false, None)
                .unwrap()
                .key;
            let secret = totp::decode_secret(&key).unwrap();
            let (asks, session) = carol_logs_in(&lc).await;
            assert!(!asks, "{way}: on before its confirmation");
            let code = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
            let wrong = if code == "000000" { "111111" } else { "000000" };
            let by_validate = |code: &str| {
                lc.validate_or_confirm(Some(session.as_str()), Some(code), None)
                    .map(|v| matches!(v, Validated::Confirmed))
            };
            let by_enable = |code: &str| {
                lc.enable_two_factor(carol, Some(1003), Some(code), false, Some(ENABLING))
                    .map(|e| e.key)
            };
            if way == "validate-code" {
                assert!(by_validate(wrong).is_err());
                assert!(!carol_logs_in(&lc).await.0, "a wrong code confirmed it");
                assert!(by_validate(&code).unwrap());
            } else {
                assert!(by_validate(&code).is_err(), "a session's token validated");
                assert!(by_enable(wrong).is_err());
                assert!(!carol_logs_in(&lc).await.0, "a wrong code confirmed it");
                assert_eq!(by_enable(&code).unwrap(), key, "the waiting key again");
            }
            let (asks, temp) = carol_logs_in(&lc).await;
            assert!(asks, "{way}: not on after its confirmation");
            // The confirming code is used: the login's validation needs a newer one.
            assert!(
                lc.validate_two_factor(Some(temp.as_str()), Some(&code), None)
                    .is_err()
            );
            lc.clock.advance(30).unwrap();
            let next = totp::code_at(TotpParams::default(), &secret, lc.clock.now());
            assert!(
                lc.validate_two_factor(Some(temp.as_str()), Some(&next), None)
                    .is_ok()
            );
        }
    }
}
