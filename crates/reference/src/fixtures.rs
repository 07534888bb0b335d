//! The reference server's seeded accounts, read from YAML.
//!
//! `fixtures/reference.yaml` is compiled in as the default, so `authconform serve`
//! works with no file at all; `--fixtures FILE` replaces it.

use serde::Deserialize;
use std::path::Path;

pub mod lac;
pub mod liquidfiles;
pub use lac::LacFixtures;
pub use liquidfiles::LiquidFilesFixtures;

/// The default fixtures, compiled in.
pub const DEFAULT_FIXTURES: &str = include_str!("../../../fixtures/reference.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    pub limecraft: LimecraftFixtures,
    pub fileverbs: FileVerbsFixtures,
    pub lac: LacFixtures,
    pub liquidfiles: LiquidFilesFixtures,
    /// The embedded SAML IdP's accounts (optional in a custom fixtures file).
    #[serde(default)]
    pub saml_idp: SamlIdpFixtures,
}

/// The embedded SAML identity provider (`/idp`, `authconform idp`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlIdpFixtures {
    pub users: Vec<crate::saml::idp::IdpUser>,
}

/// FileVerbs accounts: a SecretKey and an APIKey each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileVerbsFixtures {
    pub accounts: Vec<FileVerbsAccount>,
    /// Which accounts (by id) the conformance suite plays.
    pub suite: FileVerbsSuite,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileVerbsAccount {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: String,
    pub is_verified: bool,
    pub secret_key: String,
    pub api_key: String,
}

impl std::fmt::Debug for FileVerbsAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileVerbsAccount")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileVerbsSuite {
    pub primary: String,
    pub secondary: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimecraftFixtures {
    pub users: Vec<LimecraftUser>,
    /// Which seeded accounts the conformance suite plays.
    pub suite: SuiteAccounts,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimecraftUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub state: AccountState,
    /// SUPPORT rights: may enable two-factor authentication for other users.
    #[serde(default)]
    pub support: bool,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

impl std::fmt::Debug for LimecraftUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimecraftUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    #[default]
    Active,
    Locked,
    Disabled,
}

/// Usernames of the accounts the suite plays, by role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteAccounts {
    pub primary: String,
    pub secondary: String,
    pub twofactor: String,
    pub locked: Option<String>,
    pub disabled: Option<String>,
    /// An account with SUPPORT rights (Limecraft).
    #[serde(default)]
    pub support: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FixturesError {
    #[error("cannot read fixtures file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("fixtures file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

impl Fixtures {
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_FIXTURES, "<built-in fixtures/reference.yaml>")
            .expect("the built-in fixtures are valid (checked by a test)")
    }

    pub fn load(path: &Path) -> Result<Self, FixturesError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixturesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self, FixturesError> {
        let fixtures: Fixtures =
            serde_saphyr::from_str(text).map_err(|e| FixturesError::Invalid {
                path: origin.to_owned(),
                // The YAML reader names its source `<input>`; say which file.
                message: e.to_string().replace("<input>", origin),
            })?;
        fixtures.check().map_err(|message| FixturesError::Invalid {
            path: origin.to_owned(),
            message,
        })?;
        Ok(fixtures)
    }

    /// Rules YAML types cannot state: unique ids and names, suite roles that exist.
    fn check(&self) -> Result<(), String> {
        let users = &self.limecraft.users;
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for u in users {
            if !ids.insert(u.id) {
                return Err(format!("limecraft user id {} appears twice", u.id));
            }
            if !names.insert(u.username.to_lowercase()) || !names.insert(u.email.to_lowercase()) {
                return Err(format!(
                    "limecraft username or email of `{}` is not unique",
                    u.username
                ));
            }
        }
        let suite = &self.limecraft.suite;
        let roles = [
            ("primary", Some(&suite.primary)),
            ("secondary", Some(&suite.secondary)),
            ("twofactor", Some(&suite.twofactor)),
            ("locked", suite.locked.as_ref()),
            ("disabled", suite.disabled.as_ref()),
            ("support", suite.support.as_ref()),
        ];
        for (role, name) in roles {
            if let Some(name) = name
                && !users.iter().any(|u| &u.username == name)
            {
                return Err(format!(
                    "limecraft.suite.{role} names `{name}`, which is not among limecraft.users"
                ));
            }
        }
        let fv = &self.fileverbs;
        let mut keys = std::collections::HashSet::new();
        for a in &fv.accounts {
            if !keys.insert(a.secret_key.clone()) {
                return Err(format!(
                    "fileverbs account `{}` reuses another account's secret_key",
                    a.id
                ));
            }
        }
        for (role, id) in [
            ("primary", &fv.suite.primary),
            ("secondary", &fv.suite.secondary),
        ] {
            if self.fileverbs_account(id).is_none() {
                return Err(format!(
                    "fileverbs.suite.{role} names `{id}`, which is not among fileverbs.accounts"
                ));
            }
        }
        self.lac.check()?;
        self.liquidfiles.check()?;
        Ok(())
    }

    pub fn fileverbs_account(&self, id: &str) -> Option<&FileVerbsAccount> {
        self.fileverbs.accounts.iter().find(|a| a.id == id)
    }

    pub fn limecraft_user(&self, username: &str) -> Option<&LimecraftUser> {
        self.limecraft.users.iter().find(|u| u.username == username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fixtures_parse_and_hold_the_seed_example() {
        let f = Fixtures::builtin();
        let john = f.limecraft_user("john.doe").expect("seed example account");
        assert_eq!(john.password, "mysecret123!");
    }

    #[test]
    fn suite_roles_must_exist() {
        let text = DEFAULT_FIXTURES.replace("primary: alice", "primary: nobody");
        let err = Fixtures::parse(&text, "t").unwrap_err().to_string();
        assert!(
            err.contains("limecraft.suite.primary names `nobody`"),
            "{err}"
        );
    }
}
