//! Reading a target file, and judging a target, with the registry of vendors:
//! `vendor:` names a registered suite, each vendor's section is read by its
//! suite, the suite says what its target cannot lack, and a scenario's
//! `@needs-…` tags are judged by the shared capabilities and the vendors'.
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

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use crate::fixtures::Fixtures;
use crate::harness::capability::Capability;
use crate::harness::suite::{self, Suite};
use crate::harness::target::{
    Fields, RawUsers, Target, TargetError, Users, VendorId, check_url, interpolate, not_yaml,
    unset_variables,
};

impl Target {
    pub fn has(&self, capability: Capability) -> bool {
        capability.offered_by(self)
    }

    /// The reason a scenario with these tags cannot run here, if any.
    pub fn missing_capability<'a>(
        &self,
        tags: impl IntoIterator<Item = &'a String>,
    ) -> Option<&'static str> {
        tags.into_iter()
            .filter_map(|t| suite::capability(t))
            .find(|c| !self.has(*c))
            .map(Capability::how_to_provide)
    }

    /// The target for a reference server at `server_url` (its root), with the
    /// accounts its fixtures name for the suite.
    pub fn reference(
        vendor: impl Into<VendorId>,
        api_base_url: &str,
        server_url: &str,
        fixtures: &Fixtures,
    ) -> Target {
        let vendor = vendor.into();
        let mut target = Target::new(vendor, api_base_url);
        target.control_url = Some(server_url.to_owned());
        Suite::of(vendor).reference_target(&mut target, fixtures);
        target
    }

    pub fn load(path: &Path) -> Result<Target, TargetError> {
        let text = std::fs::read_to_string(path).map_err(|source| TargetError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &|name| std::env::var(name).ok()).map_err(|e| {
            // The parser calls the file `<input>`; the reader knows its name.
            let e = match e {
                TargetError::NotValid(m) => {
                    TargetError::NotValid(m.replace("<input>", &path.display().to_string()))
                }
                other => other,
            };
            TargetError::InFile {
                path: path.to_path_buf(),
                error: Box::new(e),
            }
        })
    }

    /// Parses a target file, resolving `${VAR}` with `env`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, TargetError> {
        let raw: RawTarget = serde_saphyr::from_str(text).map_err(|e| not_yaml(e, text))?;
        // Every variable the file refers to and the environment lacks, at
        // once (not one per run); commented-out lines are not values.
        if let Ok(value) = serde_saphyr::from_str::<serde_json::Value>(text) {
            let mut unset = Vec::new();
            unset_variables(&value, "", env, &mut unset);
            match unset.len() {
                0 => {}
                1 => {
                    let (field, var) = unset.remove(0);
                    return Err(TargetError::Unset { field, var });
                }
                _ => return Err(TargetError::UnsetVariables(unset)),
            }
        }
        let suite: Suite = interpolate(&raw.vendor, "vendor", env)?.parse()?;
        let vendor = suite.vendor();
        let base_url = check_url(&interpolate(&raw.base_url, "base_url", env)?, "base_url")?;
        let control_url = match &raw.control_url {
            Some(u) => Some(check_url(
                &interpolate(u, "control_url", env)?,
                "control_url",
            )?),
            None => None,
        };
        let control_token = match &raw.control_token {
            Some(t) => Some(interpolate(t, "control_token", env)?),
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
            support: fields.account("users.support", &raw_users.support)?,
            saml: fields.account("users.saml", &raw_users.saml)?,
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
            control_token,
            users,
            timeout: Duration::from_secs(10),
            browser: None,
            sections,
        };
        for (field, present) in suite.required(&target) {
            if !present {
                return Err(TargetError::Missing { field, vendor });
            }
        }
        let timeout = raw.timeout_seconds.unwrap_or(10);
        if timeout == 0 || timeout > 600 {
            return Err(TargetError::invalid(
                "timeout_seconds",
                "timeout_seconds must be between 1 and 600",
            ));
        }
        target.timeout = Duration::from_secs(timeout);
        Ok(target)
    }
}

/// A target file's top level: the fields every vendor shares, and which
/// registered vendors' sections it has (read afterwards by their suites). Any
/// other key is refused where it stands, as `deny_unknown_fields` would.
struct RawTarget {
    vendor: String,
    base_url: String,
    insecure_tls: Option<bool>,
    control_url: Option<String>,
    control_token: Option<String>,
    timeout_seconds: Option<u64>,
    users: Option<RawUsers>,
    /// The keys of the vendors' sections present.
    sections: Vec<String>,
}

/// The shared top-level fields, in the order an error lists them (the
/// vendors' section keys follow).
const SHARED_FIELDS: [&str; 7] = [
    "vendor",
    "base_url",
    "insecure_tls",
    "control_url",
    "control_token",
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
                let mut control_token = None;
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
                        "control_token" => once(
                            &mut control_token,
                            "control_token",
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
                    control_token: control_token.flatten(),
                    timeout_seconds: timeout_seconds.flatten(),
                    users: users.flatten(),
                    sections,
                })
            }
        }
        deserializer.deserialize_map(Top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::target::tests::env;

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
        type Expected = fn(&TargetError) -> bool;
        let cases: [(String, Expected); 5] = [
            (
                GOOD.replace("limecraft", "acme"),
                |e| matches!(e, TargetError::UnknownVendor(v) if v.0 == "acme"),
            ),
            (
                GOOD.replace("https://example.com/api", "not a url"),
                |e| matches!(e, TargetError::Invalid { field, message } if field == "base_url" && message.contains("is not a URL")),
            ),
            (
                GOOD.replace("https://example.com/api", "ftp://example.com"),
                |e| e.field() == Some("base_url"),
            ),
            (
                GOOD.replace("  secondary: { username: bob, password: x }\n", ""),
                |e| matches!(e, TargetError::Missing { field: "users.secondary", vendor } if *vendor == crate::vendor::Vendor::Limecraft),
            ),
            (
                GOOD.replace("base_url", "base_uri"),
                |e| matches!(e, TargetError::NotValid(m) if m.contains("unknown field")),
            ),
        ];
        for (text, expected) in cases {
            let e = Target::parse(&text, &env).unwrap_err();
            assert!(expected(&e), "unexpected error: {e:?}");
        }
    }
}
