//! The target file: which server to test and with which accounts.
//!
//! ```yaml
//! vendor: limecraft
//! base_url: https://platform.limecraft.com/api
//! users:
//!   primary:   { username: "${LC_USER}",  password: "${LC_PASSWORD}" }
//!   secondary: { username: "${LC_USER2}", password: "${LC_PASSWORD2}" }
//! ```
//!
//! Every string may hold `${ENV_VAR}` references, resolved when the file is
//! read, so that secrets live in the CI's secret store and not in the file.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::vendor::Vendor;

/// A parsed, validated target.
#[derive(Clone)]
pub struct Target {
    pub vendor: Vendor,
    pub base_url: String,
    pub insecure_tls: bool,
    /// Root URL of a server that offers authconform's control API (clock).
    pub control_url: Option<String>,
    pub users: Users,
    pub timeout: Duration,
    /// FileVerbs: the key pairs and paths (`fileverbs:` in the file).
    pub fileverbs: Option<FileVerbsTarget>,
    /// CA Live API Creator: API settings (`lac:` in the file).
    pub lac: Option<LacTarget>,
    /// LiquidFiles: extra accounts and calls (`liquidfiles:` in the file).
    pub liquidfiles: Option<LiquidFilesTarget>,
}

/// The `liquidfiles:` section of a target file.
#[derive(Clone, Debug)]
pub struct LiquidFilesTarget {
    /// alice's username, when `users.primary.username` is her email (LF10).
    pub primary_username: Option<String>,
    /// Minutes a key from `/session/api` lives (LF8; default 30 days).
    pub key_lifetime_minutes: i64,
    /// An account whose password has `&` and `$` (or other XML specials), for
    /// the escaping scenarios LF11-LF13.
    pub special: Option<Account>,
    /// `@ext`: a call that takes a key as the HTTP Basic user name (LF8).
    pub probe_path: Option<String>,
    /// Which `POST /login` the deployment offers (`liquidfiles.login`).
    pub login: LiquidFilesLogin,
}

/// The `POST /login` APIs of a LiquidFiles deployment: v2 has the XML API
/// only; seed 001 says v3 has the JSON API (and may keep the deprecated XML).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiquidFilesLogin {
    Xml,
    Json,
    #[default]
    Both,
}

impl LiquidFilesLogin {
    pub fn xml(self) -> bool {
        self != LiquidFilesLogin::Json
    }

    pub fn json(self) -> bool {
        self != LiquidFilesLogin::Xml
    }
}

impl Default for LiquidFilesTarget {
    fn default() -> Self {
        LiquidFilesTarget {
            primary_username: None,
            key_lifetime_minutes: 30 * 24 * 60,
            special: None,
            probe_path: None,
            login: LiquidFilesLogin::Both,
        }
    }
}

/// The `fileverbs:` section of a target file.
#[derive(Clone, Debug)]
pub struct FileVerbsTarget {
    pub primary: KeyPair,
    /// A second account's pair (optional).
    pub secondary: Option<KeyPair>,
    /// A protected resource the suite may GET (relative to `base_url`).
    pub probe_path: String,
    /// The refresh and revoke calls (`@ext`): not documented by the vendor.
    pub refresh_path: Option<String>,
    pub revoke_path: Option<String>,
}

/// A FileVerbs SecretKey and APIKey.
#[derive(Clone)]
pub struct KeyPair {
    pub secret_key: String,
    pub api_key: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(<redacted>)")
    }
}

/// The `lac:` section of a target file.
#[derive(Clone)]
pub struct LacTarget {
    /// The API property that allows `?auth=<apikey>:1` on GET is on.
    pub url_auth: bool,
    /// A protected resource of the API (relative to `base_url`).
    pub probe_path: String,
    /// Another API of the deployment whose property does not allow auth tokens
    /// in the URL (LAC7 when `url_auth` is on); alice signs on there too, and
    /// `probe_path` is called there.
    pub url_auth_off_base_url: Option<String>,
    /// An API whose authentication provider does not implement password
    /// change, and an account of it (LAC20).
    pub no_password_change: Option<LacProviderAccount>,
    /// An auth token created in API Creator (Manage, Auth Tokens), used but
    /// never disabled.
    pub admin_token: Option<String>,
}

/// An account on another API of a LAC deployment.
#[derive(Clone, Debug)]
pub struct LacProviderAccount {
    pub base_url: String,
    pub account: Account,
}

impl std::fmt::Debug for LacTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LacTarget")
            .field("url_auth", &self.url_auth)
            .field("probe_path", &self.probe_path)
            .field("url_auth_off_base_url", &self.url_auth_off_base_url)
            .field("no_password_change", &self.no_password_change)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .field("control_url", &self.control_url)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default)]
pub struct Users {
    pub primary: Option<Account>,
    pub secondary: Option<Account>,
    /// An account the suite may enable two-factor authentication on.
    pub twofactor: Option<Account>,
    pub locked: Option<Account>,
    pub disabled: Option<Account>,
}

#[derive(Clone)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// Base32 TOTP secret, for a two-factor account that already has 2FA enabled.
    pub totp_secret: Option<String>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Something a scenario needs that not every server under test offers; a
/// scenario tagged `@needs-<name>` is skipped, with the reason, when the target
/// lacks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// `@needs-clock`: the server's clock can be read and advanced (control API).
    Clock,
    /// `@needs-locked-account`: `users.locked` is given.
    LockedAccount,
    /// `@needs-disabled-account`: `users.disabled` is given.
    DisabledAccount,
    /// `@needs-twofactor-account`: `users.twofactor` is given.
    TwofactorAccount,
    /// `@needs-refresh-endpoint`: FileVerbs refresh and revoke paths are given (`@ext`).
    RefreshEndpoint,
    /// `@needs-secret-key-reset`: the control API can reset a FileVerbs SecretKey.
    SecretKeyReset,
    /// `@needs-url-auth`: the LAC API allows auth tokens in the URL (`lac.url_auth`).
    UrlAuth,
    /// `@needs-url-auth-off`: a LAC API that does not allow them (`lac.url_auth: false`,
    /// or `lac.url_auth_off_base_url`).
    UrlAuthOff,
    /// `@needs-provider-without-password-change`: `lac.no_password_change` is given.
    ProviderWithoutPasswordChange,
    /// `@needs-admin-token`: `lac.admin_token` is given.
    AdminToken,
    /// `@needs-activity-log`: the control API can read the LiquidFiles activity log.
    ActivityLog,
    /// `@needs-special-password-account`: `liquidfiles.special` is given.
    SpecialPasswordAccount,
    /// `@needs-key-probe`: `liquidfiles.probe_path` is given (`@ext`).
    KeyProbe,
    /// `@needs-username-login`: `liquidfiles.primary_username` is given.
    UsernameLogin,
    /// `@needs-xml-login`: the LiquidFiles XML API (`liquidfiles.login` xml or both).
    XmlLogin,
    /// `@needs-json-login`: the LiquidFiles v3 JSON API (`liquidfiles.login` json or both).
    JsonLogin,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Capability::Clock,
        Capability::LockedAccount,
        Capability::DisabledAccount,
        Capability::TwofactorAccount,
        Capability::RefreshEndpoint,
        Capability::SecretKeyReset,
        Capability::UrlAuth,
        Capability::UrlAuthOff,
        Capability::ProviderWithoutPasswordChange,
        Capability::AdminToken,
        Capability::ActivityLog,
        Capability::SpecialPasswordAccount,
        Capability::KeyProbe,
        Capability::UsernameLogin,
        Capability::XmlLogin,
        Capability::JsonLogin,
    ];

    /// The tag (without `@`) of scenarios that need this.
    pub fn tag(self) -> &'static str {
        match self {
            Capability::Clock => "needs-clock",
            Capability::LockedAccount => "needs-locked-account",
            Capability::DisabledAccount => "needs-disabled-account",
            Capability::TwofactorAccount => "needs-twofactor-account",
            Capability::RefreshEndpoint => "needs-refresh-endpoint",
            Capability::SecretKeyReset => "needs-secret-key-reset",
            Capability::UrlAuth => "needs-url-auth",
            Capability::UrlAuthOff => "needs-url-auth-off",
            Capability::ProviderWithoutPasswordChange => "needs-provider-without-password-change",
            Capability::AdminToken => "needs-admin-token",
            Capability::ActivityLog => "needs-activity-log",
            Capability::SpecialPasswordAccount => "needs-special-password-account",
            Capability::KeyProbe => "needs-key-probe",
            Capability::UsernameLogin => "needs-username-login",
            Capability::XmlLogin => "needs-xml-login",
            Capability::JsonLogin => "needs-json-login",
        }
    }

    /// What to add to the target file to get it.
    pub fn how_to_provide(self) -> &'static str {
        match self {
            Capability::Clock => {
                "needs clock control: the target declares no `control_url` (only the reference server offers it)"
            }
            Capability::LockedAccount => {
                "needs a locked account: add `users.locked` to the target file"
            }
            Capability::DisabledAccount => {
                "needs a disabled account: add `users.disabled` to the target file"
            }
            Capability::TwofactorAccount => {
                "needs an account the suite may enable 2FA on: add `users.twofactor` to the target file"
            }
            Capability::RefreshEndpoint => {
                "needs the refresh and revoke calls (not documented by the vendor): add `fileverbs.refresh_path` and `fileverbs.revoke_path`"
            }
            Capability::SecretKeyReset => {
                "needs a SecretKey reset hook: the target declares no `control_url` (only the reference server offers it)"
            }
            Capability::UrlAuth => {
                "needs an API that allows auth tokens in the URL: set `lac.url_auth: true` if its API property is on"
            }
            Capability::UrlAuthOff => {
                "needs an API that does not allow auth tokens in the URL: set `lac.url_auth: false`, or give another such API as `lac.url_auth_off_base_url`"
            }
            Capability::ProviderWithoutPasswordChange => {
                "needs an API whose authentication provider does not implement password change: add `lac.no_password_change` (base_url, username, password)"
            }
            Capability::AdminToken => {
                "needs an auth token created in API Creator: add `lac.admin_token`"
            }
            Capability::ActivityLog => {
                "needs to read the activity log: the target declares no `control_url` (only the reference server offers it)"
            }
            Capability::SpecialPasswordAccount => {
                "needs an account whose password has & and $: add `liquidfiles.special` (username, password)"
            }
            Capability::KeyProbe => {
                "needs a call that takes the API key as HTTP Basic user name (not documented with the key login): add `liquidfiles.probe_path`"
            }
            Capability::UsernameLogin => {
                "needs alice's username besides her email: add `liquidfiles.primary_username`"
            }
            Capability::XmlLogin => {
                "needs the XML API of POST /login: the target sets `liquidfiles.login: json`"
            }
            Capability::JsonLogin => {
                "needs the JSON API of POST /login (LiquidFiles v3): the target sets `liquidfiles.login: xml`"
            }
        }
    }
}

impl Target {
    /// Which `POST /login` APIs a LiquidFiles target offers.
    pub fn liquidfiles_login(&self) -> LiquidFilesLogin {
        self.liquidfiles
            .as_ref()
            .map(|l| l.login)
            .unwrap_or_default()
    }

    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::Clock => self.control_url.is_some(),
            Capability::LockedAccount => self.users.locked.is_some(),
            Capability::DisabledAccount => self.users.disabled.is_some(),
            Capability::TwofactorAccount => self.users.twofactor.is_some(),
            Capability::RefreshEndpoint => self
                .fileverbs
                .as_ref()
                .is_some_and(|f| f.refresh_path.is_some() && f.revoke_path.is_some()),
            Capability::SecretKeyReset => self.control_url.is_some(),
            Capability::UrlAuth => self.lac.as_ref().is_some_and(|l| l.url_auth),
            Capability::UrlAuthOff => self
                .lac
                .as_ref()
                .is_some_and(|l| !l.url_auth || l.url_auth_off_base_url.is_some()),
            Capability::ProviderWithoutPasswordChange => self
                .lac
                .as_ref()
                .is_some_and(|l| l.no_password_change.is_some()),
            Capability::AdminToken => self.lac.as_ref().is_some_and(|l| l.admin_token.is_some()),
            Capability::ActivityLog => self.control_url.is_some(),
            Capability::SpecialPasswordAccount => self
                .liquidfiles
                .as_ref()
                .is_some_and(|l| l.special.is_some()),
            Capability::KeyProbe => self
                .liquidfiles
                .as_ref()
                .is_some_and(|l| l.probe_path.is_some()),
            Capability::UsernameLogin => self
                .liquidfiles
                .as_ref()
                .is_some_and(|l| l.primary_username.is_some()),
            // Only LiquidFiles scenarios carry these tags; its default is both.
            Capability::XmlLogin => self.liquidfiles_login().xml(),
            Capability::JsonLogin => self.liquidfiles_login().json(),
        }
    }

    /// The reason a scenario with these tags cannot run here, if any.
    pub fn missing_capability<'a>(
        &self,
        tags: impl IntoIterator<Item = &'a String>,
    ) -> Option<&'static str> {
        let tags: Vec<&String> = tags.into_iter().collect();
        Capability::ALL
            .iter()
            .find(|c| tags.iter().any(|t| t.as_str() == c.tag()) && !self.has(**c))
            .map(|c| c.how_to_provide())
    }

    /// The target for a reference server at `server_url` (its root), with the
    /// accounts its fixtures name for the suite.
    pub fn reference(
        vendor: Vendor,
        api_base_url: &str,
        server_url: &str,
        fixtures: &Fixtures,
    ) -> Target {
        let account = |name: &str| {
            fixtures.limecraft_user(name).map(|u| Account {
                username: u.username.clone(),
                password: u.password.clone(),
                totp_secret: None,
            })
        };
        let mut target = Target {
            vendor,
            base_url: api_base_url.to_owned(),
            insecure_tls: false,
            control_url: Some(server_url.to_owned()),
            users: Users::default(),
            timeout: Duration::from_secs(10),
            fileverbs: None,
            lac: None,
            liquidfiles: None,
        };
        match vendor {
            Vendor::Limecraft => {
                let suite = &fixtures.limecraft.suite;
                target.users = Users {
                    primary: account(&suite.primary),
                    secondary: account(&suite.secondary),
                    twofactor: account(&suite.twofactor),
                    locked: suite.locked.as_deref().and_then(account),
                    disabled: suite.disabled.as_deref().and_then(account),
                };
            }
            Vendor::FileVerbs => {
                let pair = |id: &str| {
                    fixtures.fileverbs_account(id).map(|a| KeyPair {
                        secret_key: a.secret_key.clone(),
                        api_key: a.api_key.clone(),
                    })
                };
                let suite = &fixtures.fileverbs.suite;
                target.fileverbs = pair(&suite.primary).map(|primary| FileVerbsTarget {
                    primary,
                    secondary: pair(&suite.secondary),
                    probe_path: "/endpoint".to_owned(),
                    refresh_path: Some("/accounts/refresh-token".to_owned()),
                    revoke_path: Some("/accounts/revoke-token".to_owned()),
                });
            }
            Vendor::LiquidFiles => {
                let lf = &fixtures.liquidfiles;
                let account = |name: &str| {
                    lf.user(name).map(|u| Account {
                        username: u.email.clone(),
                        password: u.password.clone(),
                        totp_secret: u.totp_secret.clone(),
                    })
                };
                target.users = Users {
                    primary: account(&lf.suite.primary),
                    secondary: account(&lf.suite.secondary),
                    twofactor: account(&lf.suite.twofactor),
                    locked: None,
                    disabled: None,
                };
                target.liquidfiles = Some(LiquidFilesTarget {
                    primary_username: Some(lf.suite.primary.clone()),
                    special: account(&lf.suite.special),
                    probe_path: Some("/account".to_owned()),
                    ..LiquidFilesTarget::default()
                });
            }
            Vendor::Lac => {
                let lac = &fixtures.lac;
                let suite = &lac.suite;
                let user = |name: &str| {
                    lac.user(name).map(|u| Account {
                        username: u.username.clone(),
                        password: u.password.clone(),
                        totp_secret: None,
                    })
                };
                target.users = Users {
                    primary: user(&suite.primary),
                    secondary: user(&suite.secondary),
                    ..Users::default()
                };
                // The server's LAC root: the suite API's base URL without its base path.
                let main = lac.suite_api();
                let root = main
                    .and_then(|a| api_base_url.strip_suffix(a.base_path.as_str()))
                    .unwrap_or(api_base_url);
                let base_url_of =
                    |api: &str| lac.api(api).map(|a| format!("{root}{}", a.base_path));
                let no_password_change = match (
                    suite.no_password_change_api.as_deref(),
                    suite.no_password_change_user.as_deref(),
                ) {
                    (Some(api), Some(name)) => base_url_of(api)
                        .zip(user(name))
                        .map(|(base_url, account)| LacProviderAccount { base_url, account }),
                    _ => None,
                };
                let admin_token = suite.admin_token.as_deref().and_then(|label| {
                    main?
                        .auth_tokens
                        .iter()
                        .find(|t| t.label == label)?
                        .value
                        .clone()
                });
                target.lac = Some(LacTarget {
                    url_auth: main.is_some_and(|a| a.url_auth),
                    probe_path: "/probe".to_owned(),
                    url_auth_off_base_url: suite.url_auth_off_api.as_deref().and_then(base_url_of),
                    no_password_change,
                    admin_token,
                });
            }
        }
        target
    }

    pub fn load(path: &Path) -> Result<Target, TargetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TargetError(format!("cannot read target file {}: {e}", path.display())))?;
        Self::parse(&text, &|name| std::env::var(name).ok())
            // The YAML reader names its source `<input>`; say which file.
            .map_err(|e| {
                let shown = path.display().to_string();
                TargetError(format!(
                    "target file {shown}: {}",
                    e.0.replace("<input>", &shown)
                ))
            })
    }

    /// Parses a target file, resolving `${VAR}` with `env`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, TargetError> {
        let raw: RawTarget = serde_saphyr::from_str(text)
            .map_err(|e| TargetError(format!("not a valid target file: {e}")))?;
        let vendor: Vendor = interpolate(&raw.vendor, "vendor", env)?
            .parse()
            .map_err(|e: crate::vendor::VendorError| TargetError(format!("vendor: {e}")))?;
        let base_url = check_url(&interpolate(&raw.base_url, "base_url", env)?, "base_url")?;
        let control_url = match &raw.control_url {
            Some(u) => Some(check_url(
                &interpolate(u, "control_url", env)?,
                "control_url",
            )?),
            None => None,
        };
        let account = |role: &str,
                       raw: &Option<RawAccount>|
         -> Result<Option<Account>, TargetError> {
            let Some(raw) = raw else { return Ok(None) };
            let username = interpolate(&raw.username, &format!("users.{role}.username"), env)?;
            let password = interpolate(&raw.password, &format!("users.{role}.password"), env)?;
            if username.is_empty() || password.is_empty() {
                return Err(TargetError(format!(
                    "users.{role}: username and password must not be empty"
                )));
            }
            let totp_secret = match &raw.totp_secret {
                Some(s) => {
                    let secret = interpolate(s, &format!("users.{role}.totp_secret"), env)?;
                    // RFC 4226 asks for at least 128 bits; a typo here would
                    // otherwise surface as wrong codes in every 2FA scenario.
                    match crate::totp::decode_secret(&secret) {
                        Some(bytes) if bytes.len() >= 16 => {}
                        Some(_) => {
                            return Err(TargetError(format!(
                                "users.{role}.totp_secret is shorter than 128 bits (26 base32 characters); give the secret the server enrolled"
                            )));
                        }
                        None => {
                            return Err(TargetError(format!(
                                "users.{role}.totp_secret is not base32 (A-Z, 2-7); give the secret as the server showed it"
                            )));
                        }
                    }
                    Some(secret)
                }
                None => None,
            };
            Ok(Some(Account {
                username,
                password,
                totp_secret,
            }))
        };
        let raw_users = raw.users.unwrap_or_default();
        let users = Users {
            primary: account("primary", &raw_users.primary)?,
            secondary: account("secondary", &raw_users.secondary)?,
            twofactor: account("twofactor", &raw_users.twofactor)?,
            locked: account("locked", &raw_users.locked)?,
            disabled: account("disabled", &raw_users.disabled)?,
        };
        let text = |v: &str, field: &str| interpolate(v, field, env);
        let fileverbs = match &raw.fileverbs {
            None => None,
            Some(f) => {
                let pair = |p: &RawKeyPair, role: &str| -> Result<KeyPair, TargetError> {
                    Ok(KeyPair {
                        secret_key: text(&p.secret_key, &format!("fileverbs.{role}.secret_key"))?,
                        api_key: text(&p.api_key, &format!("fileverbs.{role}.api_key"))?,
                    })
                };
                Some(FileVerbsTarget {
                    primary: pair(&f.primary, "primary")?,
                    secondary: f
                        .secondary
                        .as_ref()
                        .map(|p| pair(p, "secondary"))
                        .transpose()?,
                    probe_path: check_path(
                        &text(&f.probe_path, "fileverbs.probe_path")?,
                        "fileverbs.probe_path",
                    )?,
                    refresh_path: f
                        .refresh_path
                        .as_deref()
                        .map(|p| {
                            text(p, "fileverbs.refresh_path")
                                .and_then(|p| check_path(&p, "fileverbs.refresh_path"))
                        })
                        .transpose()?,
                    revoke_path: f
                        .revoke_path
                        .as_deref()
                        .map(|p| {
                            text(p, "fileverbs.revoke_path")
                                .and_then(|p| check_path(&p, "fileverbs.revoke_path"))
                        })
                        .transpose()?,
                })
            }
        };
        let lac = match &raw.lac {
            None => None,
            Some(l) => Some(LacTarget {
                url_auth: l.url_auth.unwrap_or(false),
                probe_path: check_path(&text(&l.probe_path, "lac.probe_path")?, "lac.probe_path")?,
                url_auth_off_base_url: l
                    .url_auth_off_base_url
                    .as_deref()
                    .map(|u| {
                        text(u, "lac.url_auth_off_base_url")
                            .and_then(|u| check_url(&u, "lac.url_auth_off_base_url"))
                    })
                    .transpose()?,
                no_password_change: match &l.no_password_change {
                    None => None,
                    Some(p) => {
                        let field = |name: &str| format!("lac.no_password_change.{name}");
                        let base_url =
                            check_url(&text(&p.base_url, &field("base_url"))?, &field("base_url"))?;
                        let username = text(&p.username, &field("username"))?;
                        let password = text(&p.password, &field("password"))?;
                        if username.is_empty() || password.is_empty() {
                            return Err(TargetError(
                                "lac.no_password_change: username and password must not be empty"
                                    .into(),
                            ));
                        }
                        Some(LacProviderAccount {
                            base_url,
                            account: Account {
                                username,
                                password,
                                totp_secret: None,
                            },
                        })
                    }
                },
                admin_token: l
                    .admin_token
                    .as_deref()
                    .map(|t| text(t, "lac.admin_token"))
                    .transpose()?
                    .filter(|t| !t.is_empty()),
            }),
        };
        let liquidfiles = match &raw.liquidfiles {
            None => None,
            Some(l) => Some(LiquidFilesTarget {
                primary_username: l
                    .primary_username
                    .as_deref()
                    .map(|u| text(u, "liquidfiles.primary_username"))
                    .transpose()?
                    .filter(|u| !u.is_empty()),
                key_lifetime_minutes: match l.key_lifetime_minutes {
                    Some(m) if !(2..=10 * 366 * 24 * 60).contains(&m) => {
                        return Err(TargetError(
                            "liquidfiles.key_lifetime_minutes must be between 2 and ten years"
                                .into(),
                        ));
                    }
                    Some(m) => m,
                    None => LiquidFilesTarget::default().key_lifetime_minutes,
                },
                special: account("special", &l.special).map_err(|e| {
                    TargetError(e.0.replace("users.special", "liquidfiles.special"))
                })?,
                probe_path: l
                    .probe_path
                    .as_deref()
                    .map(|p| {
                        text(p, "liquidfiles.probe_path")
                            .and_then(|p| check_path(&p, "liquidfiles.probe_path"))
                    })
                    .transpose()?,
                login: l.login.unwrap_or_default(),
            }),
        };
        let required: &[(&str, bool)] = match vendor {
            Vendor::Limecraft => &[
                ("users.primary", users.primary.is_some()),
                ("users.secondary", users.secondary.is_some()),
            ],
            Vendor::FileVerbs => &[("the fileverbs section", fileverbs.is_some())],
            Vendor::Lac => &[
                ("users.primary", users.primary.is_some()),
                ("users.secondary", users.secondary.is_some()),
                ("the lac section", lac.is_some()),
            ],
            Vendor::LiquidFiles => &[
                ("users.primary", users.primary.is_some()),
                ("users.secondary", users.secondary.is_some()),
            ],
        };
        for (field, present) in required {
            if !present {
                return Err(TargetError(format!(
                    "{field} is missing: the {vendor} suite needs it (see fixtures/{vendor}.target.yaml)"
                )));
            }
        }
        let timeout = raw.timeout_seconds.unwrap_or(10);
        if timeout == 0 || timeout > 600 {
            return Err(TargetError(
                "timeout_seconds must be between 1 and 600".into(),
            ));
        }
        Ok(Target {
            vendor,
            base_url,
            insecure_tls: raw.insecure_tls.unwrap_or(false),
            control_url,
            users,
            timeout: Duration::from_secs(timeout),
            fileverbs,
            lac,
            liquidfiles,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    vendor: String,
    base_url: String,
    #[serde(default)]
    insecure_tls: Option<bool>,
    #[serde(default)]
    control_url: Option<String>,
    #[serde(default)]
    timeout_seconds: Option<u64>,
    #[serde(default)]
    users: Option<RawUsers>,
    #[serde(default)]
    fileverbs: Option<RawFileVerbs>,
    #[serde(default)]
    lac: Option<RawLac>,
    #[serde(default)]
    liquidfiles: Option<RawLiquidFiles>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLiquidFiles {
    #[serde(default)]
    primary_username: Option<String>,
    #[serde(default)]
    key_lifetime_minutes: Option<i64>,
    #[serde(default)]
    special: Option<RawAccount>,
    #[serde(default)]
    probe_path: Option<String>,
    /// `xml | json | both`.
    #[serde(default)]
    login: Option<LiquidFilesLogin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFileVerbs {
    primary: RawKeyPair,
    #[serde(default)]
    secondary: Option<RawKeyPair>,
    probe_path: String,
    #[serde(default)]
    refresh_path: Option<String>,
    #[serde(default)]
    revoke_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyPair {
    secret_key: String,
    api_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLac {
    #[serde(default)]
    url_auth: Option<bool>,
    probe_path: String,
    #[serde(default)]
    url_auth_off_base_url: Option<String>,
    #[serde(default)]
    no_password_change: Option<RawLacProviderAccount>,
    #[serde(default)]
    admin_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLacProviderAccount {
    base_url: String,
    username: String,
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawUsers {
    primary: Option<RawAccount>,
    secondary: Option<RawAccount>,
    twofactor: Option<RawAccount>,
    locked: Option<RawAccount>,
    disabled: Option<RawAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    username: String,
    password: String,
    #[serde(default)]
    totp_secret: Option<String>,
}

/// A path relative to `base_url`: starts with `/`, no scheme or host.
fn check_path(value: &str, field: &str) -> Result<String, TargetError> {
    if !value.starts_with('/') || value.starts_with("//") {
        return Err(TargetError(format!(
            "{field} `{value}` must be a path relative to base_url, starting with one `/`"
        )));
    }
    Ok(value.to_owned())
}

fn check_url(value: &str, field: &str) -> Result<String, TargetError> {
    let url = url::Url::parse(value)
        .map_err(|e| TargetError(format!("{field} `{value}` is not a URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(TargetError(format!(
            "{field} `{value}` must start with http:// or https://"
        )));
    }
    if url.host_str().is_none() {
        return Err(TargetError(format!("{field} `{value}` has no host")));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// Replaces every `${NAME}` with the variable's value; `$$` is a literal `$`.
/// Only the braced form is read, so a password such as `pa$word` stays as it is.
pub fn interpolate(
    value: &str,
    field: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TargetError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| TargetError(format!("{field}: `${{` without a closing `}}`")))?;
            let name = &inner[..end];
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(TargetError(format!(
                    "{field}: `${{{name}}}` is not a variable name"
                )));
            }
            let v = env(name).ok_or_else(|| {
                TargetError(format!(
                    "{field} refers to ${{{name}}}, but the environment variable {name} is not set"
                ))
            })?;
            out.push_str(&v);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PW" => Some("s3cret$".into()),
            "USER" => Some("alice".into()),
            _ => None,
        }
    }

    #[test]
    fn interpolation() {
        assert_eq!(
            interpolate("${USER}-${PW}", "f", &env).unwrap(),
            "alice-s3cret$"
        );
        assert_eq!(interpolate("pa$word$$", "f", &env).unwrap(), "pa$word$");
        let e = interpolate("${NOPE}", "users.primary.password", &env)
            .unwrap_err()
            .0;
        assert!(
            e.contains("NOPE is not set") && e.contains("users.primary.password"),
            "{e}"
        );
        assert!(interpolate("${A", "f", &env).is_err());
    }

    const GOOD: &str = "vendor: limecraft\nbase_url: https://example.com/api\nusers:\n  primary: { username: \"${USER}\", password: \"${PW}\" }\n  secondary: { username: bob, password: x }\n";

    #[test]
    fn parses_a_good_target() {
        let t = Target::parse(GOOD, &env).unwrap();
        assert_eq!(t.vendor, Vendor::Limecraft);
        assert_eq!(t.users.primary.as_ref().unwrap().password, "s3cret$");
        assert!(!t.has(Capability::Clock));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn bad_targets_say_what_to_fix() {
        let cases = [
            (GOOD.replace("limecraft", "acme"), "unknown vendor `acme`"),
            (
                GOOD.replace("https://example.com/api", "not a url"),
                "base_url `not a url` is not a URL",
            ),
            (
                GOOD.replace("ftp", "x")
                    .replace("https://example.com/api", "ftp://example.com"),
                "must start with http",
            ),
            (
                GOOD.replace("  secondary: { username: bob, password: x }\n", ""),
                "users.secondary is missing: the limecraft suite needs it",
            ),
            (GOOD.replace("base_url", "base_uri"), "unknown field"),
        ];
        for (text, expected) in cases {
            let e = Target::parse(&text, &env).unwrap_err().0;
            assert!(e.contains(expected), "expected `{expected}` in: {e}");
        }
    }
}
