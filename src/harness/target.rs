//! A target: which server to test and with which accounts, as a target file
//! says (read by `target_file.rs`, which asks each vendor's suite for its
//! section), and how a target file's values are read.
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
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};

/// A vendor of the registry, by its id (`vendor:` in a target file); its
/// suite is [`crate::harness::suite::Suite::of`] it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VendorId(&'static str);

impl VendorId {
    /// The id of a registered suite (only the registry makes one).
    pub(crate) const fn of_registered(id: &'static str) -> VendorId {
        VendorId(id)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<crate::vendor::Vendor> for VendorId {
    /// A vendor of the reference server: every one has a built-in suite.
    fn from(vendor: crate::vendor::Vendor) -> VendorId {
        VendorId(vendor.id())
    }
}

impl PartialEq<crate::vendor::Vendor> for VendorId {
    fn eq(&self, other: &crate::vendor::Vendor) -> bool {
        self.0 == other.id()
    }
}

/// A vendor's parsed section of a target file; [`Target::section`] reads it
/// back by its type.
pub type Section = Arc<dyn Any + Send + Sync>;

/// A parsed, validated target.
#[derive(Clone)]
pub struct Target {
    /// The vendor (`vendor:` in the file), whose suite runs against it.
    pub vendor: VendorId,
    pub base_url: String,
    pub insecure_tls: bool,
    /// Root URL of a server that offers authconform's control API (clock).
    pub control_url: Option<String>,
    /// Sent to the control API as `Authorization: Bearer` (`serve --control-token`).
    pub control_token: Option<String>,
    pub users: Users,
    pub timeout: Duration,
    /// `--browser`: the browser a vendor's browser flows run in, over what
    /// the target file says (`None`: the file's, or `auto`).
    pub browser: Option<BrowserChoice>,
    /// The vendors' own sections of the file (`lac:`), read by their suites;
    /// [`Target::section`] finds one by its type.
    pub(crate) sections: Vec<Section>,
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

/// The browser a vendor's browser flows run in (`--browser`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserChoice {
    /// A local Chromium with chromedriver if installed, else none.
    Auto,
    /// A local Chromium with chromedriver; an error without them.
    Chromium,
    /// No browser: the flows are played over HTTP.
    None,
    /// A WebDriver server at this URL (Selenium, a chromedriver elsewhere).
    WebDriver(String),
}

impl std::str::FromStr for BrowserChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" => Ok(BrowserChoice::Auto),
            "chromium" => Ok(BrowserChoice::Chromium),
            "none" => Ok(BrowserChoice::None),
            u if u.starts_with("http://") || u.starts_with("https://") => {
                Ok(BrowserChoice::WebDriver(u.trim_end_matches('/').to_owned()))
            }
            other => Err(format!(
                "`{other}` is no browser: auto, chromium, none or a WebDriver URL (http://…)"
            )),
        }
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
    /// An account with the vendor's support rights (Limecraft's SUPPORT:
    /// may enable two-factor authentication for other users).
    pub support: Option<Account>,
    /// An account at the SAML identity provider (LiquidFiles' `/saml/api`):
    /// what the player types into the IdP's login form.
    pub saml: Option<Account>,
}

#[derive(Clone)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// Base32 TOTP secret, for a two-factor account that already has 2FA enabled.
    pub totp_secret: Option<String>,
    /// The account's second factor, when it already has one (`second_factor:`
    /// and `totp:` in the file): TOTP unless the file says otherwise.
    pub second_factor: SecondFactor,
}

/// What an account's second factor is, as the target file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SecondFactor {
    /// TOTP, with the parameters the file gives (`totp:`), else those the
    /// server advertises or the document's defaults.
    #[default]
    Totp,
    /// TOTP with the parameters the file gives (`totp: {algorithm, digits, period}`).
    TotpWith(crate::totp::TotpParams),
    /// E-mail, SMS, a push app…: the suite cannot make its codes, so the
    /// scenarios that need them are skipped.
    Other(String),
}

impl SecondFactor {
    /// Whether the suite can make this factor's codes.
    pub fn is_totp(&self) -> bool {
        !matches!(self, SecondFactor::Other(_))
    }
}

impl Users {
    /// Whether each of these accounts (`users.primary`, `users.secondary`,
    /// `users.twofactor`, `users.locked`, `users.disabled`) is given: what a
    /// suite's `VendorSuite::required` says of `users:`.
    pub fn given(&self, fields: &[&'static str]) -> Vec<(&'static str, bool)> {
        fields
            .iter()
            .map(|field| {
                let account = match *field {
                    "users.primary" => &self.primary,
                    "users.secondary" => &self.secondary,
                    "users.twofactor" => &self.twofactor,
                    "users.locked" => &self.locked,
                    "users.disabled" => &self.disabled,
                    "users.support" => &self.support,
                    "users.saml" => &self.saml,
                    _ => &None,
                };
                (*field, account.is_some())
            })
            .collect()
    }
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
    /// A target of `vendor` at `base_url` with no accounts, no section, no
    /// control API and the default timeout, to fill in.
    pub fn new(vendor: VendorId, base_url: &str) -> Target {
        Target {
            vendor,
            base_url: base_url.to_owned(),
            insecure_tls: false,
            control_url: None,
            control_token: None,
            users: Users::default(),
            timeout: Duration::from_secs(10),
            browser: None,
            sections: Vec::new(),
        }
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
}

/// Why a target file cannot be used; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read target file {}: {source}", .path.display())]
    Unreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Another error, in the file at `path`.
    #[error("target file {}: {error}", .path.display())]
    InFile {
        path: std::path::PathBuf,
        error: Box<TargetError>,
    },
    /// Not YAML, or not a target file's shape: the parser's words.
    #[error("not a valid target file: {0}")]
    NotValid(String),
    #[error("vendor: {0}")]
    UnknownVendor(#[from] crate::harness::suite::UnknownVendor),
    /// `${var}` in `field`, and the variable is not set.
    #[error("{field} refers to ${{{var}}}, but the environment variable {var} is not set")]
    Unset { field: String, var: String },
    /// Several `${var}` whose variables are not set: (field, var), all of them at once.
    #[error("{} environment variables the file refers to are not set: {}", .0.len(), .0.iter().map(|(field, var)| format!("{var} ({field})")).collect::<Vec<_>>().join(", "))]
    UnsetVariables(Vec<(String, String)>),
    /// A field the vendor's suite cannot do without.
    #[error(
        "{field} is missing: the {vendor} suite needs it (`authconform init --vendor {vendor}` prints an example target file)"
    )]
    Missing {
        field: &'static str,
        vendor: VendorId,
    },
    /// `field`'s value is wrong; the message names the field and what to give.
    #[error("{message}")]
    Invalid { field: String, message: String },
}

impl TargetError {
    /// `field`'s value is wrong: `message` names the field and says what to give.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> TargetError {
        TargetError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error itself, without the file it was found in.
    pub fn inner(&self) -> &TargetError {
        match self {
            TargetError::InFile { error, .. } => error.inner(),
            other => other,
        }
    }

    /// The field the error is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self.inner() {
            TargetError::Unset { field, .. } | TargetError::Invalid { field, .. } => Some(field),
            TargetError::Missing { field, .. } => Some(field),
            _ => None,
        }
    }
}

pub(crate) fn not_valid(e: serde_saphyr::Error) -> TargetError {
    TargetError::NotValid(e.to_string())
}

/// A YAML error of a target file's `text`, with the hint for the mistake the
/// README warns of: `{ username: ${LC_USER} }` (a flow mapping's value that
/// starts with `${` must be quoted).
pub(crate) fn not_yaml(e: serde_saphyr::Error, text: &str) -> TargetError {
    let unquoted = text.lines().any(|line| {
        let code = line.split(" #").next().unwrap_or("");
        code.contains('{')
            && code
                .match_indices("${")
                .any(|(i, _)| !matches!(code[..i].trim_end().chars().last(), Some('"' | '\'')))
    });
    let mut message = e.to_string();
    if unquoted {
        message.push_str(
            "; a `${VAR}` value inside `{ … }` must be quoted: { username: \"${LC_USER}\", password: \"${LC_PASS}\" }",
        );
    }
    TargetError::NotValid(message)
}

/// Every `${VAR}` of a target file whose variable `env` lacks, as (field, var).
pub(crate) fn unset_variables(
    value: &serde_json::Value,
    field: &str,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<(String, String)>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if field.is_empty() {
                    k.clone()
                } else {
                    format!("{field}.{k}")
                };
                unset_variables(v, &path, env, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                unset_variables(v, &format!("{field}[{i}]"), env, out);
            }
        }
        serde_json::Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(i) = rest.find('$') {
                let after = &rest[i + 1..];
                if let Some(tail) = after.strip_prefix('$') {
                    rest = tail;
                } else if let Some(inner) = after.strip_prefix('{')
                    && let Some(end) = inner.find('}')
                {
                    let name = &inner[..end];
                    if !name.is_empty() && env(name).is_none() {
                        out.push((field.to_owned(), name.to_owned()));
                    }
                    rest = &inner[end + 1..];
                } else {
                    rest = after;
                }
            }
        }
        _ => {}
    }
}

/// A vendor's section `key` of a target file's `text`, read as `R` (with
/// [`read_section`]) and its values through `parse`: what a suite's
/// `VendorSuite::section` is.
pub fn parse_section<R: DeserializeOwned, T: Any + Send + Sync>(
    text: &str,
    key: &str,
    fields: &Fields,
    parse: fn(&R, &Fields) -> Result<T, TargetError>,
) -> Result<Option<Section>, TargetError> {
    read_section::<R>(text, key)?
        .map(|raw| parse(&raw, fields).map(|t| Arc::new(t) as Section))
        .transpose()
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
pub(crate) struct RawUsers {
    pub(crate) primary: Option<RawAccount>,
    pub(crate) secondary: Option<RawAccount>,
    pub(crate) twofactor: Option<RawAccount>,
    pub(crate) locked: Option<RawAccount>,
    pub(crate) disabled: Option<RawAccount>,
    pub(crate) support: Option<RawAccount>,
    pub(crate) saml: Option<RawAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    username: String,
    password: String,
    #[serde(default)]
    totp_secret: Option<String>,
    /// `totp` (the default), or what the account uses instead (`email`, `sms`, …).
    #[serde(default)]
    second_factor: Option<String>,
    /// The TOTP parameters of `totp_secret`, when they are not the server's advertised ones.
    #[serde(default)]
    totp: Option<RawTotp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTotp {
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    digits: Option<usize>,
    #[serde(default)]
    period: Option<u64>,
}

/// Reads a target file's values: `${VAR}` resolved, checked, and an error
/// that names the field. Every vendor's section reads its fields through it.
pub struct Fields<'a> {
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
}

impl Fields<'_> {
    pub fn text(&self, value: &str, field: &str) -> Result<String, TargetError> {
        interpolate(value, field, self.env)
    }

    pub fn path(&self, value: &str, field: &str) -> Result<String, TargetError> {
        check_path(&self.text(value, field)?, field)
    }

    pub fn url(&self, value: &str, field: &str) -> Result<String, TargetError> {
        check_url(&self.text(value, field)?, field)
    }

    /// A value at `field` that may be absent, read by `read` (`Fields::path`,
    /// `Fields::url`) when given.
    pub fn optional(
        &self,
        value: &Option<String>,
        field: &str,
        read: fn(&Self, &str, &str) -> Result<String, TargetError>,
    ) -> Result<Option<String>, TargetError> {
        value.as_deref().map(|v| read(self, v, field)).transpose()
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
            return Err(TargetError::invalid(
                field,
                format!("{field}: username and password must not be empty"),
            ));
        }
        let totp_secret = match &raw.totp_secret {
            Some(s) => {
                let secret = self.text(s, &format!("{field}.totp_secret"))?;
                // Any length the server enrolled (seed 003's example key is
                // 65 bits); a typo here would otherwise surface as wrong codes
                // in every 2FA scenario.
                if crate::totp::decode_secret(&secret).is_none_or(|b| b.is_empty()) {
                    return Err(TargetError::invalid(
                        format!("{field}.totp_secret"),
                        format!(
                            "{field}.totp_secret is not base32 (A-Z, 2-7); give the secret as the server showed it"
                        ),
                    ));
                }
                Some(secret)
            }
            None => None,
        };
        let second_factor = match (&raw.second_factor, &raw.totp) {
            (Some(kind), _) if !kind.eq_ignore_ascii_case("totp") => {
                SecondFactor::Other(self.text(kind, &format!("{field}.second_factor"))?)
            }
            (_, Some(t)) => {
                let defaults = crate::totp::TotpParams::default();
                let algorithm = match &t.algorithm {
                    Some(a) => crate::totp::parse_algorithm(a).ok_or_else(|| {
                        TargetError::invalid(
                            format!("{field}.totp.algorithm"),
                            format!("{field}.totp.algorithm `{a}` is none of SHA1, SHA256, SHA512"),
                        )
                    })?,
                    None => defaults.algorithm,
                };
                let digits = t.digits.unwrap_or(defaults.digits);
                let period = t.period.unwrap_or(defaults.period);
                if !(1..=10).contains(&digits) || period == 0 {
                    return Err(TargetError::invalid(
                        format!("{field}.totp"),
                        format!(
                            "{field}.totp: digits must be 1 to 10 and period more than 0 seconds"
                        ),
                    ));
                }
                SecondFactor::TotpWith(crate::totp::TotpParams {
                    algorithm,
                    digits,
                    period,
                })
            }
            _ => SecondFactor::Totp,
        };
        Ok(Some(Account {
            username,
            password,
            totp_secret,
            second_factor,
        }))
    }
}

/// A path relative to `base_url`: starts with `/`, no scheme or host.
pub(crate) fn check_path(value: &str, field: &str) -> Result<String, TargetError> {
    if !value.starts_with('/') || value.starts_with("//") {
        return Err(TargetError::invalid(
            field,
            format!("{field} `{value}` must be a path relative to base_url, starting with one `/`"),
        ));
    }
    Ok(value.to_owned())
}

pub(crate) fn check_url(value: &str, field: &str) -> Result<String, TargetError> {
    let url = url::Url::parse(value).map_err(|e| {
        let hint = if value.contains("://") {
            String::new()
        } else {
            format!("; did you mean http://{value} (or https://)?")
        };
        TargetError::invalid(field, format!("{field} `{value}` is not a URL: {e}{hint}"))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        let hint = if value.contains("://") {
            String::new()
        } else {
            format!(" (http://{value}?)")
        };
        return Err(TargetError::invalid(
            field,
            format!("{field} `{value}` must start with http:// or https://{hint}"),
        ));
    }
    if url.host_str().is_none() {
        return Err(TargetError::invalid(
            field,
            format!("{field} `{value}` has no host"),
        ));
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
            let end = inner.find('}').ok_or_else(|| {
                TargetError::invalid(field, format!("{field}: `${{` without a closing `}}`"))
            })?;
            let name = &inner[..end];
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(TargetError::invalid(
                    field,
                    format!("{field}: `${{{name}}}` is not a variable name"),
                ));
            }
            let v = env(name).ok_or_else(|| TargetError::Unset {
                field: field.to_owned(),
                var: name.to_owned(),
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
pub(crate) mod tests {
    use super::*;

    /// The environment of the target-file tests.
    pub(crate) fn env(name: &str) -> Option<String> {
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
        let e = interpolate("${NOPE}", "users.primary.password", &env).unwrap_err();
        assert!(
            matches!(&e, TargetError::Unset { field, var } if field == "users.primary.password" && var == "NOPE"),
            "{e}"
        );
        assert!(interpolate("${A", "f", &env).is_err());
    }
}
