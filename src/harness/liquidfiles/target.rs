//! The `liquidfiles:` section of a target file: extra accounts and calls.

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::harness::target::{Account, Fields, RawAccount, Target, TargetError, Users};

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
                Some(m) => m,
                None => LiquidFilesTarget::default().key_lifetime_minutes,
            },
            special: fields.account("liquidfiles.special", &raw.special)?,
            probe_path: fields.optional(&raw.probe_path, "liquidfiles.probe_path", Fields::path)?,
            login: raw.login.unwrap_or_default(),
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
        })
    };
    target.users = Users {
        primary: account(&lf.suite.primary),
        secondary: account(&lf.suite.secondary),
        twofactor: account(&lf.suite.twofactor),
        locked: None,
        disabled: None,
    };
    target.set_section(LiquidFilesTarget {
        primary_username: Some(lf.suite.primary.clone()),
        special: account(&lf.suite.special),
        probe_path: Some("/account".to_owned()),
        ..LiquidFilesTarget::default()
    });
}

/// Which `POST /login` APIs a LiquidFiles target offers (both when unsaid).
pub fn login(target: &Target) -> LiquidFilesLogin {
    target
        .section::<LiquidFilesTarget>()
        .map(|l| l.login)
        .unwrap_or_default()
}
