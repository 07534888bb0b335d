//! The `liquidfiles:` section of a target file: extra accounts and calls.

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::harness::target::{
    Account, BrowserChoice, Fields, RawAccount, Target, TargetError, Users,
};

/// The `liquidfiles:` section of a target file.
#[derive(Clone, Debug, Default)]
pub struct LiquidFilesTarget {
    /// alice's username, when `users.primary.username` is her email (LF10).
    pub primary_username: Option<String>,
    /// Minutes a key from `/session/api` lives (LF8: the documents give no
    /// lifetime, so the target says it; the reference server's is 30 days).
    pub key_lifetime_minutes: Option<i64>,
    /// An account whose password has `&` and `$` (or other XML specials), for
    /// the escaping scenarios LF11-LF13.
    pub special: Option<Account>,
    /// `@ext`: a call that takes a key as the HTTP Basic user name (LF8).
    pub probe_path: Option<String>,
    /// Which `POST /login` the deployment offers, as the target file
    /// declares it (`liquidfiles.login`; checked strictly), or `None`: found
    /// out before the run ([`Self::discovered`]).
    pub login: Option<LiquidFilesLogin>,
    /// What the server answered before the run, when `login` is not declared.
    pub discovered: Option<Discovered>,
    /// The target file's browser for `/session/api` (`liquidfiles.browser`;
    /// `--browser` overrides it): `auto` (a local Chromium if installed),
    /// `chromium`, `none`, or a WebDriver server's URL (`liquidfiles.webdriver_url`).
    pub browser: Option<BrowserChoice>,
    /// `/saml/api`: the IdP the deployment trusts (`liquidfiles.saml`);
    /// without it the SAML scenarios are skipped.
    pub saml: Option<SamlTarget>,
}

/// `liquidfiles.saml`: which identity provider the deployment sends `/saml/api` to.
#[derive(Clone, Debug)]
pub struct SamlTarget {
    /// `embedded`: an authconform IdP (the reference server's `/idp`, or
    /// `authconform idp` run beside the deployment) whose signing key the
    /// harness holds, so it can mint the Responses of the SP-security
    /// scenarios; `external`: any other IdP, whose login form the player fills
    /// (those scenarios are skipped).
    pub idp: SamlIdp,
    /// The IdP's entity ID the deployment trusts (embedded only).
    pub idp_entity_id: String,
    /// The embedded IdP's signing key (PEM key and certificate files;
    /// without them the built-in public test key).
    pub key: Option<crate::reference::saml::dsig::SigningKey>,
    /// Where the IdP's Response is posted when the AuthnRequest names no
    /// AssertionConsumerServiceURL (the SP's metadata says it).
    pub acs_url: Option<String>,
}

/// Which kind of identity provider a deployment's `/saml/api` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamlIdp {
    Embedded,
    External,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSaml {
    idp: SamlIdp,
    #[serde(default)]
    idp_entity_id: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    cert: Option<String>,
    #[serde(default)]
    acs_url: Option<String>,
}

impl SamlTarget {
    fn parse(raw: &RawSaml, fields: &Fields) -> Result<SamlTarget, TargetError> {
        let key = match (&raw.key, &raw.cert) {
            (Some(key), Some(cert)) => {
                let read = |p: &str, field: &str| {
                    let p = fields.text(p, field)?;
                    std::fs::read_to_string(&p).map_err(|e| {
                        TargetError::invalid(field, format!("{field}: cannot read {p}: {e}"))
                    })
                };
                let key = read(key, "liquidfiles.saml.key")?;
                let cert = read(cert, "liquidfiles.saml.cert")?;
                Some(
                    crate::reference::saml::dsig::SigningKey::from_pem(&key, &cert).map_err(
                        |e| {
                            TargetError::invalid(
                                "liquidfiles.saml.key",
                                format!("liquidfiles.saml.key/cert: {e}"),
                            )
                        },
                    )?,
                )
            }
            (None, None) => None,
            _ => {
                return Err(TargetError::invalid(
                    "liquidfiles.saml",
                    "liquidfiles.saml: give both key and cert (PEM files), or neither",
                ));
            }
        };
        Ok(SamlTarget {
            idp: raw.idp,
            idp_entity_id: match &raw.idp_entity_id {
                Some(id) => fields.text(id, "liquidfiles.saml.idp_entity_id")?,
                None => crate::reference::saml::DEFAULT_IDP_ENTITY_ID.to_owned(),
            },
            key,
            acs_url: fields.optional(&raw.acs_url, "liquidfiles.saml.acs_url", Fields::url)?,
        })
    }

    /// The key the harness signs Responses with (embedded IdP).
    pub fn signing_key(&self) -> crate::reference::saml::dsig::SigningKey {
        self.key
            .clone()
            .unwrap_or_else(crate::reference::saml::dsig::SigningKey::builtin)
    }
}

/// What the server showed before the run, for a target that does not
/// declare its `POST /login` APIs: which it offers, and which request signed
/// each account on.
#[derive(Clone, Debug, Default)]
pub struct Discovered {
    pub xml: bool,
    pub json: bool,
    /// Each account's role and the request that gave it a key.
    pub sign_ons: Vec<(&'static str, super::discover::Way)>,
    /// Problems found (accounts that signed on in no documented way).
    pub problems: Vec<String>,
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

    /// The APIs of `xml` and `json`, if any.
    pub fn of(xml: bool, json: bool) -> Option<LiquidFilesLogin> {
        match (xml, json) {
            (true, true) => Some(LiquidFilesLogin::Both),
            (true, false) => Some(LiquidFilesLogin::Xml),
            (false, true) => Some(LiquidFilesLogin::Json),
            (false, false) => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLiquidFiles {
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
    /// `auto | chromium | none`.
    #[serde(default)]
    browser: Option<String>,
    #[serde(default)]
    webdriver_url: Option<String>,
    #[serde(default)]
    saml: Option<RawSaml>,
}

impl LiquidFilesTarget {
    pub(crate) fn parse(raw: &RawLiquidFiles, fields: &Fields) -> Result<Self, TargetError> {
        Ok(LiquidFilesTarget {
            primary_username: raw
                .primary_username
                .as_deref()
                .map(|u| fields.text(u, "liquidfiles.primary_username"))
                .transpose()?
                .filter(|u| !u.is_empty()),
            key_lifetime_minutes: match raw.key_lifetime_minutes {
                Some(m) if !(2..=10 * 366 * 24 * 60).contains(&m) => {
                    return Err(TargetError::invalid(
                        "liquidfiles.key_lifetime_minutes",
                        "liquidfiles.key_lifetime_minutes must be between 2 and ten years",
                    ));
                }
                other => other,
            },
            special: fields.account("liquidfiles.special", &raw.special)?,
            probe_path: fields.optional(&raw.probe_path, "liquidfiles.probe_path", Fields::path)?,
            login: raw.login,
            discovered: None,
            browser: match (&raw.browser, &raw.webdriver_url) {
                (Some(_), Some(_)) => {
                    return Err(TargetError::invalid(
                        "liquidfiles.browser",
                        "liquidfiles: give `browser` or `webdriver_url`, not both",
                    ));
                }
                (Some(b), None) => Some(fields.text(b, "liquidfiles.browser")?.parse().map_err(
                    |e| {
                        TargetError::invalid(
                            "liquidfiles.browser",
                            format!("liquidfiles.browser: {e}"),
                        )
                    },
                )?),
                (None, Some(u)) => Some(BrowserChoice::WebDriver(
                    fields
                        .optional(&Some(u.clone()), "liquidfiles.webdriver_url", Fields::url)?
                        .unwrap_or_default(),
                )),
                (None, None) => None,
            },
            saml: raw
                .saml
                .as_ref()
                .map(|s| SamlTarget::parse(s, fields))
                .transpose()?,
        })
    }
}

/// The reference server's LiquidFiles: the suite's accounts (by email) from the fixtures.
pub(crate) fn reference(target: &mut Target, fixtures: &Fixtures) {
    let lf = &fixtures.liquidfiles;
    let account = |name: &str| {
        lf.user(name).map(|u| Account {
            username: u.email.clone(),
            password: u.password.clone(),
            totp_secret: u.totp_secret.clone(),
            second_factor: Default::default(),
        })
    };
    target.users = Users {
        primary: account(&lf.suite.primary),
        secondary: account(&lf.suite.secondary),
        twofactor: account(&lf.suite.twofactor),
        // The primary's account at the server's own IdP (`/idp`).
        saml: lf.user(&lf.suite.primary).and_then(|u| {
            fixtures
                .saml_idp
                .users
                .iter()
                .find(|i| i.email.eq_ignore_ascii_case(&u.email))
                .map(|i| Account {
                    username: i.email.clone(),
                    password: i.password.clone(),
                    totp_secret: None,
                    second_factor: Default::default(),
                })
        }),
        ..Users::default()
    };
    target.set_section(LiquidFilesTarget {
        primary_username: Some(lf.suite.primary.clone()),
        special: account(&lf.suite.special),
        probe_path: Some("/account".to_owned()),
        saml: Some(SamlTarget {
            idp: SamlIdp::Embedded,
            idp_entity_id: crate::reference::saml::DEFAULT_IDP_ENTITY_ID.to_owned(),
            key: None,
            acs_url: None,
        }),
        key_lifetime_minutes: Some(30 * 24 * 60),
        // The suite's own tests play the pages over HTTP unless told
        // otherwise (`--browser`); a browser test sets it.
        browser: Some(BrowserChoice::None),
        ..LiquidFilesTarget::default()
    });
}

/// Which `POST /login` APIs a LiquidFiles target offers: as declared, else
/// as found out before the run (`None`: neither answered), else both (a
/// listing, before anything was sent).
pub fn login(target: &Target) -> Option<LiquidFilesLogin> {
    let Some(section) = target.section::<LiquidFilesTarget>() else {
        return Some(LiquidFilesLogin::Both);
    };
    match (&section.login, &section.discovered) {
        (Some(declared), _) => Some(*declared),
        (None, Some(d)) => LiquidFilesLogin::of(d.xml, d.json),
        (None, None) => Some(LiquidFilesLogin::Both),
    }
}

/// The browser the run plays `/session/api` in: `--browser` (the target's
/// `browser` field), else the target file's, else `auto`.
pub fn browser(target: &Target) -> BrowserChoice {
    target
        .browser
        .clone()
        .or_else(|| {
            target
                .section::<LiquidFilesTarget>()
                .and_then(|l| l.browser.clone())
        })
        .unwrap_or(BrowserChoice::Auto)
}
