//! The `fileverbs:` section of a target file: the key pairs and paths.

use serde::Deserialize;

use crate::fixtures::Fixtures;
use crate::harness::target::{Fields, Target, TargetError};

/// The `fileverbs:` section of a target file.
#[derive(Clone, Debug)]
pub struct FileVerbsTarget {
    pub primary: KeyPair,
    /// A second account's pair (optional).
    pub secondary: Option<KeyPair>,
    /// A protected resource the suite may GET (relative to `base_url`).
    pub probe_path: String,
    /// The refresh and revoke calls (`@ext`): not documented by the vendor;
    /// each is optional on its own.
    pub refresh_path: Option<String>,
    pub revoke_path: Option<String>,
    /// How long after its `exp` a JWT may still be accepted (clock skew; RFC
    /// 7519 §4.1.4: "usually no more than a few minutes"). FV5 wants it
    /// refused once `exp` and this have passed.
    pub jwt_leeway_seconds: u32,
}

/// The default leeway: five minutes, RFC 7519's "a few minutes" and
/// ASP.NET Core JwtBearer's `ClockSkew`.
pub const JWT_LEEWAY_SECONDS: u32 = 300;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileVerbs {
    primary: RawKeyPair,
    #[serde(default)]
    secondary: Option<RawKeyPair>,
    probe_path: String,
    #[serde(default)]
    refresh_path: Option<String>,
    #[serde(default)]
    revoke_path: Option<String>,
    #[serde(default)]
    jwt_leeway_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyPair {
    secret_key: String,
    api_key: String,
}

impl FileVerbsTarget {
    pub(crate) fn parse(raw: &RawFileVerbs, fields: &Fields) -> Result<Self, TargetError> {
        let pair = |p: &RawKeyPair, role: &str| -> Result<KeyPair, TargetError> {
            Ok(KeyPair {
                secret_key: fields.text(&p.secret_key, &format!("fileverbs.{role}.secret_key"))?,
                api_key: fields.text(&p.api_key, &format!("fileverbs.{role}.api_key"))?,
            })
        };
        Ok(FileVerbsTarget {
            primary: pair(&raw.primary, "primary")?,
            secondary: raw
                .secondary
                .as_ref()
                .map(|p| pair(p, "secondary"))
                .transpose()?,
            probe_path: fields.path(&raw.probe_path, "fileverbs.probe_path")?,
            refresh_path: fields.optional(
                &raw.refresh_path,
                "fileverbs.refresh_path",
                Fields::path,
            )?,
            revoke_path: fields.optional(
                &raw.revoke_path,
                "fileverbs.revoke_path",
                Fields::path,
            )?,
            jwt_leeway_seconds: match raw.jwt_leeway_seconds {
                None => JWT_LEEWAY_SECONDS,
                Some(s) if s <= 24 * 3600 => s,
                Some(s) => {
                    return Err(TargetError::invalid(
                        "fileverbs.jwt_leeway_seconds",
                        format!(
                            "fileverbs.jwt_leeway_seconds {s}: give the seconds a JWT may still be accepted after its exp (300 by default; at most a day)"
                        ),
                    ));
                }
            },
        })
    }
}

/// The reference server's FileVerbs: the suite's key pairs from the fixtures.
pub(crate) fn reference(target: &mut Target, fixtures: &Fixtures) {
    let pair = |id: &str| {
        fixtures.fileverbs_account(id).map(|a| KeyPair {
            secret_key: a.secret_key.clone(),
            api_key: a.api_key.clone(),
        })
    };
    let suite = &fixtures.fileverbs.suite;
    if let Some(primary) = pair(&suite.primary) {
        target.set_section(FileVerbsTarget {
            primary,
            secondary: pair(&suite.secondary),
            probe_path: "/endpoint".to_owned(),
            refresh_path: Some("/accounts/refresh-token".to_owned()),
            revoke_path: Some("/accounts/revoke-token".to_owned()),
            jwt_leeway_seconds: JWT_LEEWAY_SECONDS,
        });
    }
}
