//! The `lac:` section of a target file: the API's settings and the other APIs
//! of the deployment that some scenarios need.

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::harness::target::{Account, Fields, Target, TargetError, Users};

/// The `lac:` section of a target file.
#[derive(Clone)]
pub struct LacTarget {
    /// Whether the API property that allows `?auth=<apikey>:1` on GET is on,
    /// as the target file declares it (then checked strictly); `None` when
    /// it does not, and the suite finds out before the run ([`Self::found`]).
    pub url_auth: Option<bool>,
    /// What the API answered a GET with alice's auth token in the URL before
    /// the run, when the target file does not declare `url_auth`: `Some(true)`
    /// let in, `Some(false)` refused, `None` not found out (`discover.rs`).
    pub found: Option<bool>,
    /// The URL parameter that carries an auth token on GET (`auth` unless
    /// the target says otherwise: the seed's example lost its name).
    pub url_param: String,
    /// A protected resource of the API (relative to `base_url`).
    pub probe_path: String,
    /// Another API of the deployment whose property does not allow auth tokens
    /// in the URL (LAC7 unless this API's property is known to be off), with its own account if it
    /// has its own users (alice's otherwise); `probe_path` is called there.
    pub url_auth_off: Option<LacOtherApi>,
    /// An API whose authentication provider does not implement password
    /// change, and an account of it (LAC20).
    pub no_password_change: Option<LacProviderAccount>,
    /// An auth token created in API Creator (Manage, Auth Tokens), used but
    /// never disabled.
    pub admin_token: Option<String>,
    /// A resource (GET, relative to `base_url`) that alice's roles allow and
    /// bob's do not (LAC21).
    pub role_path: Option<String>,
}

/// An account on another API of a LAC deployment.
#[derive(Clone, Debug)]
pub struct LacProviderAccount {
    pub base_url: String,
    pub account: Account,
}

/// Another API of a LAC deployment, and its account when its users are not
/// the main API's.
#[derive(Clone, Debug)]
pub struct LacOtherApi {
    pub base_url: String,
    pub account: Option<Account>,
}

impl std::fmt::Debug for LacTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LacTarget")
            .field("url_auth", &self.url_auth)
            .field("found", &self.found)
            .field("url_param", &self.url_param)
            .field("probe_path", &self.probe_path)
            .field("url_auth_off", &self.url_auth_off)
            .field("no_password_change", &self.no_password_change)
            .field("role_path", &self.role_path)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLac {
    #[serde(default)]
    url_auth: Option<bool>,
    #[serde(default)]
    url_param: Option<String>,
    probe_path: String,
    #[serde(default)]
    url_auth_off_base_url: Option<String>,
    #[serde(default)]
    url_auth_off: Option<RawLacOtherApi>,
    #[serde(default)]
    no_password_change: Option<RawLacProviderAccount>,
    #[serde(default)]
    admin_token: Option<String>,
    #[serde(default)]
    role_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLacOtherApi {
    base_url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLacProviderAccount {
    base_url: String,
    username: String,
    password: String,
}

impl LacTarget {
    /// Whether the API takes auth tokens in the URL, as far as the run knows:
    /// as declared, else as found out before the run, else `None` (neither
    /// LAC6 nor LAC7 on this API can be judged).
    pub fn url_auth(&self) -> Option<bool> {
        self.url_auth.or(self.found)
    }

    pub(crate) fn parse(raw: &RawLac, fields: &Fields) -> Result<Self, TargetError> {
        let url_param = match &raw.url_param {
            None => super::api::URL_PARAM.to_owned(),
            Some(p) => {
                let p = fields.text(p, "lac.url_param")?;
                if p.is_empty() || p.contains(['&', '=', '#', '?', ' ']) {
                    return Err(TargetError::invalid(
                        "lac.url_param",
                        format!(
                            "lac.url_param {p:?}: give the name of the URL parameter that carries an auth token (`auth` by default), without `?`, `&` or `=`"
                        ),
                    ));
                }
                p
            }
        };
        let url_auth_off = match (&raw.url_auth_off, &raw.url_auth_off_base_url) {
            (Some(_), Some(_)) => {
                return Err(TargetError::invalid(
                    "lac.url_auth_off",
                    "give either lac.url_auth_off (base_url and, if its users are its own, username and password) or lac.url_auth_off_base_url, not both",
                ));
            }
            (None, None) => None,
            (None, Some(url)) => Some(LacOtherApi {
                base_url: fields.url(url, "lac.url_auth_off_base_url")?,
                account: None,
            }),
            (Some(other), None) => {
                let field = |name: &str| format!("lac.url_auth_off.{name}");
                let base_url = fields.url(&other.base_url, &field("base_url"))?;
                let account = match (&other.username, &other.password) {
                    (None, None) => None,
                    (Some(u), Some(p)) => Some(Account {
                        username: fields.text(u, &field("username"))?,
                        password: fields.text(p, &field("password"))?,
                        totp_secret: None,
                        second_factor: Default::default(),
                    }),
                    _ => {
                        return Err(TargetError::invalid(
                            "lac.url_auth_off",
                            "lac.url_auth_off: give both username and password of the API's own account, or neither (alice's account is used there)",
                        ));
                    }
                };
                Some(LacOtherApi { base_url, account })
            }
        };
        Ok(LacTarget {
            url_auth: raw.url_auth,
            found: None,
            url_param,
            probe_path: fields.path(&raw.probe_path, "lac.probe_path")?,
            url_auth_off,
            no_password_change: match &raw.no_password_change {
                None => None,
                Some(p) => {
                    let field = |name: &str| format!("lac.no_password_change.{name}");
                    let base_url = fields.url(&p.base_url, &field("base_url"))?;
                    let username = fields.text(&p.username, &field("username"))?;
                    let password = fields.text(&p.password, &field("password"))?;
                    if username.is_empty() || password.is_empty() {
                        return Err(TargetError::invalid(
                            "lac.no_password_change",
                            "lac.no_password_change: username and password must not be empty",
                        ));
                    }
                    Some(LacProviderAccount {
                        base_url,
                        account: Account {
                            username,
                            password,
                            totp_secret: None,
                            second_factor: Default::default(),
                        },
                    })
                }
            },
            admin_token: raw
                .admin_token
                .as_deref()
                .map(|t| fields.text(t, "lac.admin_token"))
                .transpose()?
                .filter(|t| !t.is_empty()),
            role_path: fields.optional(&raw.role_path, "lac.role_path", Fields::path)?,
        })
    }
}

/// The reference server's LAC: the suite's users and APIs from the fixtures,
/// their base URLs on the server `target.base_url` belongs to.
pub(crate) fn reference(target: &mut Target, fixtures: &Fixtures) {
    let lac = &fixtures.lac;
    let suite = &lac.suite;
    let user = |name: &str| {
        lac.user(name).map(|u| Account {
            username: u.username.clone(),
            password: u.password.clone(),
            totp_secret: None,
            second_factor: Default::default(),
        })
    };
    target.users = Users {
        primary: user(&suite.primary),
        secondary: user(&suite.secondary),
        ..Users::default()
    };
    // The server's LAC root: the suite API's base URL without its base path.
    let api_base_url = target.base_url.as_str();
    let main = lac.suite_api();
    let root = main
        .and_then(|a| api_base_url.strip_suffix(a.base_path.as_str()))
        .unwrap_or(api_base_url);
    let base_url_of = |api: &str| lac.api(api).map(|a| format!("{root}{}", a.base_path));
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
    let lac_target = LacTarget {
        // The fixtures say what each API's property is: declared.
        url_auth: Some(main.is_some_and(|a| a.url_auth)),
        found: None,
        url_param: super::api::URL_PARAM.to_owned(),
        probe_path: "/probe".to_owned(),
        url_auth_off: suite
            .url_auth_off_api
            .as_deref()
            .and_then(base_url_of)
            .map(|base_url| LacOtherApi {
                base_url,
                account: None,
            }),
        no_password_change,
        admin_token,
        role_path: suite.role_resource.clone(),
    };
    target.set_section(lac_target);
}
