//! The `lac:` section of a target file: the API's settings and the other APIs
//! of the deployment that some scenarios need.

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::harness::target::{Account, Fields, Target, TargetError, Users};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLac {
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

impl LacTarget {
    pub(crate) fn parse(raw: &RawLac, fields: &Fields) -> Result<Self, TargetError> {
        Ok(LacTarget {
            url_auth: raw.url_auth.unwrap_or(false),
            probe_path: fields.path(&raw.probe_path, "lac.probe_path")?,
            url_auth_off_base_url: fields.optional(
                &raw.url_auth_off_base_url,
                "lac.url_auth_off_base_url",
                Fields::url,
            )?,
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
        url_auth: main.is_some_and(|a| a.url_auth),
        probe_path: "/probe".to_owned(),
        url_auth_off_base_url: suite.url_auth_off_api.as_deref().and_then(base_url_of),
        no_password_change,
        admin_token,
    };
    target.set_section(lac_target);
}
