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

use std::any::Any;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};

use crate::fixtures::Fixtures;
pub use crate::harness::capability::Capability;
use crate::harness::suite::{self, Section, Suite};

/// A parsed, validated target.
#[derive(Clone)]
pub struct Target {
    /// The vendor (`vendor:` in the file), whose suite runs against it.
    pub vendor: Suite,
    pub base_url: String,
    pub insecure_tls: bool,
    /// Root URL of a server that offers authconform's control API (clock).
    pub control_url: Option<String>,
    pub users: Users,
    pub timeout: Duration,
    /// The vendors' own sections of the file (`lac:`), read by their suites;
    /// [`Target::section`] finds one by its type.
    sections: Vec<Section>,
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

impl Target {
    pub fn has(&self, capability: Capability) -> bool {
        capability.offered_by(self)
    }

    /// A vendor's section of the file (`LacTarget` for `lac:`), if given.
    pub fn section<T: Any>(&self) -> Option<&T> {
        self.sections.iter().find_map(|s| s.downcast_ref::<T>())
    }

    /// Sets a vendor's section, in place of the one of its type.
    pub fn set_section<T: Any + Send + Sync>(&mut self, section: T) {
        self.sections.retain(|s| !s.is::<T>());
        self.sections.push(Arc::new(section));
    }

    /// The reason a scenario with these tags cannot run here, if any.
    pub fn missing_capability<'a>(
        &self,
        tags: impl IntoIterator<Item = &'a String>,
    ) -> Option<&'static str> {
        tags.into_iter()
            .filter_map(|t| Capability::from_tag(t))
            .find(|c| !self.has(*c))
            .map(Capability::how_to_provide)
    }

    /// The target for a reference server at `server_url` (its root), with the
    /// accounts its fixtures name for the suite.
    pub fn reference(
        vendor: impl Into<Suite>,
        api_base_url: &str,
        server_url: &str,
        fixtures: &Fixtures,
    ) -> Target {
        let vendor = vendor.into();
        let mut target = Target::new(vendor, api_base_url);
        target.control_url = Some(server_url.to_owned());
        vendor.reference_target(&mut target, fixtures);
        target
    }

    /// A target of `vendor` at `base_url` with no accounts, no section, no
    /// control API and the default timeout, to fill in.
    pub fn new(vendor: Suite, base_url: &str) -> Target {
        Target {
            vendor,
            base_url: base_url.to_owned(),
            insecure_tls: false,
            control_url: None,
            users: Users::default(),
            timeout: Duration::from_secs(10),
            sections: Vec::new(),
        }
    }

    pub fn load(path: &Path) -> Result<Target, TargetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TargetError(format!("cannot read target file {}: {e}", path.display())))?;
        Self::parse(&text, &|name| std::env::var(name).ok())
            .map_err(|e| TargetError(format!("target file {}: {}", path.display(), e.0)))
    }

    /// Parses a target file, resolving `${VAR}` with `env`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, TargetError> {
        let raw: RawTarget = serde_saphyr::from_str(text).map_err(not_valid)?;
        let vendor: Suite = interpolate(&raw.vendor, "vendor", env)?
            .parse()
            .map_err(|e: suite::UnknownVendor| TargetError(format!("vendor: {e}")))?;
        let base_url = check_url(&interpolate(&raw.base_url, "base_url", env)?, "base_url")?;
        let control_url = match &raw.control_url {
            Some(u) => Some(check_url(
                &interpolate(u, "control_url", env)?,
                "control_url",
            )?),
            None => None,
        };
        let fields = Fields { env };
        let raw_users = raw.users.unwrap_or_default();
        let users = Users {
            primary: fields.account("users.primary", &raw_users.primary)?,
            secondary: fields.account("users.secondary", &raw_users.secondary)?,
            twofactor: fields.account("users.twofactor", &raw_users.twofactor)?,
            locked: fields.account("users.locked", &raw_users.locked)?,
            disabled: fields.account("users.disabled", &raw_users.disabled)?,
        };
        // Every vendor's section the file has is read by its suite, in the
        // order of the registry, whichever vendor the file names.
        let mut sections = Vec::new();
        for owner in suite::all() {
            if owner
                .section_key()
                .is_some_and(|key| raw.sections.iter().any(|k| k == key))
                && let Some(section) = owner.section(text, &fields)?
            {
                sections.push(section);
            }
        }
        let mut target = Target {
            vendor,
            base_url,
            insecure_tls: raw.insecure_tls.unwrap_or(false),
            control_url,
            users,
            timeout: Duration::from_secs(10),
            sections,
        };
        for (field, present) in vendor.required(&target) {
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
        target.timeout = Duration::from_secs(timeout);
        Ok(target)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

fn not_valid(e: serde_saphyr::Error) -> TargetError {
    TargetError(format!("not a valid target file: {e}"))
}

/// A target file's top level: the fields every vendor shares, and which
/// registered vendors' sections it has (read afterwards by their suites). Any
/// other key is refused where it stands, as `deny_unknown_fields` would.
struct RawTarget {
    vendor: String,
    base_url: String,
    insecure_tls: Option<bool>,
    control_url: Option<String>,
    timeout_seconds: Option<u64>,
    users: Option<RawUsers>,
    /// The keys of the vendors' sections present.
    sections: Vec<String>,
}

/// The shared top-level fields, in the order an error lists them (the
/// vendors' section keys follow).
const SHARED_FIELDS: [&str; 6] = [
    "vendor",
    "base_url",
    "insecure_tls",
    "control_url",
    "timeout_seconds",
    "users",
];

impl<'de> Deserialize<'de> for RawTarget {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = RawTarget;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("struct RawTarget")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTarget, A::Error> {
                fn once<T, E: de::Error>(
                    slot: &mut Option<T>,
                    name: &'static str,
                    v: T,
                ) -> Result<(), E> {
                    if slot.is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    *slot = Some(v);
                    Ok(())
                }
                let section_keys: Vec<&'static str> = suite::all()
                    .iter()
                    .filter_map(|s| s.section_key())
                    .collect();
                let (mut vendor, mut base_url) = (None, None);
                let (mut insecure_tls, mut control_url, mut timeout_seconds, mut users) =
                    (None, None, None, None);
                let mut sections: Vec<String> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "vendor" => once(&mut vendor, "vendor", map.next_value::<String>()?)?,
                        "base_url" => once(&mut base_url, "base_url", map.next_value::<String>()?)?,
                        "insecure_tls" => once(
                            &mut insecure_tls,
                            "insecure_tls",
                            map.next_value::<Option<bool>>()?,
                        )?,
                        "control_url" => once(
                            &mut control_url,
                            "control_url",
                            map.next_value::<Option<String>>()?,
                        )?,
                        "timeout_seconds" => once(
                            &mut timeout_seconds,
                            "timeout_seconds",
                            map.next_value::<Option<u64>>()?,
                        )?,
                        "users" => {
                            once(&mut users, "users", map.next_value::<Option<RawUsers>>()?)?
                        }
                        other => match section_keys.iter().find(|k| **k == other) {
                            Some(k) if sections.iter().any(|s| s == k) => {
                                return Err(de::Error::duplicate_field(k));
                            }
                            Some(k) => {
                                map.next_value::<IgnoredAny>()?;
                                sections.push((*k).to_owned());
                            }
                            None => {
                                // The list an error shows; made on this path only.
                                let mut expected: Vec<&'static str> = SHARED_FIELDS.to_vec();
                                let mut own = section_keys.clone();
                                own.sort_unstable();
                                expected.extend(own);
                                let expected: &'static [&'static str] = expected.leak();
                                return Err(de::Error::unknown_field(other, expected));
                            }
                        },
                    }
                }
                Ok(RawTarget {
                    vendor: vendor.ok_or_else(|| de::Error::missing_field("vendor"))?,
                    base_url: base_url.ok_or_else(|| de::Error::missing_field("base_url"))?,
                    insecure_tls: insecure_tls.flatten(),
                    control_url: control_url.flatten(),
                    timeout_seconds: timeout_seconds.flatten(),
                    users: users.flatten(),
                    sections,
                })
            }
        }
        deserializer.deserialize_map(Top)
    }
}

/// A vendor's section `key` of a target file's `text`, read with serde (a
/// type with `deny_unknown_fields` refuses unknown keys where they stand);
/// `None` when the file has no such key. What a suite's
/// [`crate::harness::suite::VendorSuite::section`] reads its raw section with.
pub fn read_section<T: DeserializeOwned>(text: &str, key: &str) -> Result<Option<T>, TargetError> {
    struct Only<'k, T>(&'k str, std::marker::PhantomData<T>);
    impl<'de, T: DeserializeOwned> de::DeserializeSeed<'de> for Only<'_, T> {
        type Value = Option<T>;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de, T: DeserializeOwned> Visitor<'de> for Only<'_, T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a target file")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
            let mut found = None;
            while let Some(k) = map.next_key::<String>()? {
                if k == self.0 {
                    found = map.next_value::<Option<T>>()?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    serde_saphyr::with_deserializer_from_str(text, |d| {
        de::DeserializeSeed::deserialize(Only::<T>(key, std::marker::PhantomData), d)
    })
    .map_err(not_valid)
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
pub struct RawAccount {
    username: String,
    password: String,
    #[serde(default)]
    totp_secret: Option<String>,
}

/// Reads a target file's values: `${VAR}` resolved, checked, and an error
/// that names the field. Every vendor's section reads its fields through it.
pub struct Fields<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Fields<'_> {
    pub fn text(&self, value: &str, field: &str) -> Result<String, TargetError> {
        interpolate(value, field, self.env)
    }

    pub fn path(&self, value: &str, field: &str) -> Result<String, TargetError> {
        check_path(&self.text(value, field)?, field)
    }

    pub fn optional_path(
        &self,
        value: &Option<String>,
        field: &str,
    ) -> Result<Option<String>, TargetError> {
        value.as_deref().map(|p| self.path(p, field)).transpose()
    }

    pub fn url(&self, value: &str, field: &str) -> Result<String, TargetError> {
        check_url(&self.text(value, field)?, field)
    }

    pub fn optional_url(
        &self,
        value: &Option<String>,
        field: &str,
    ) -> Result<Option<String>, TargetError> {
        value.as_deref().map(|u| self.url(u, field)).transpose()
    }

    /// An account at `field` (`users.primary`, `liquidfiles.special`), if given.
    pub fn account(
        &self,
        field: &str,
        raw: &Option<RawAccount>,
    ) -> Result<Option<Account>, TargetError> {
        let Some(raw) = raw else { return Ok(None) };
        let username = self.text(&raw.username, &format!("{field}.username"))?;
        let password = self.text(&raw.password, &format!("{field}.password"))?;
        if username.is_empty() || password.is_empty() {
            return Err(TargetError(format!(
                "{field}: username and password must not be empty"
            )));
        }
        let totp_secret = match &raw.totp_secret {
            Some(s) => {
                let secret = self.text(s, &format!("{field}.totp_secret"))?;
                // RFC 4226 asks for at least 128 bits; a typo here would
                // otherwise surface as wrong codes in every 2FA scenario.
                match crate::totp::decode_secret(&secret) {
                    Some(bytes) if bytes.len() >= 16 => {}
                    Some(_) => {
                        return Err(TargetError(format!(
                            "{field}.totp_secret is shorter than 128 bits (26 base32 characters); give the secret the server enrolled"
                        )));
                    }
                    None => {
                        return Err(TargetError(format!(
                            "{field}.totp_secret is not base32 (A-Z, 2-7); give the secret as the server showed it"
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
    }
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
        assert_eq!(t.vendor, crate::vendor::Vendor::Limecraft);
        assert_eq!(t.users.primary.as_ref().unwrap().password, "s3cret$");
        assert!(!t.has(crate::harness::capability::CLOCK));
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
