//! LiquidFiles' model for `authconform explore`: sequences of the
//! documented logins (XML by email or username, as `text/xml` or
//! `application/xml`, the special password written four ways; the v3 JSON
//! API; the `/session/api` browser login with and without the agent port,
//! Strong 2FA, agent name and version, the key's lifetime), right and
//! wrong, in any order; and `/saml/api` (seed 000: to the identity provider
//! and back to the same success page, with the optional agent_port
//! callback), with the Responses LF24-LF34 mint, each breaking one rule of
//! a SAML 2.0 service provider (bad input, which must give no key), where
//! the target has the IdP those scenarios need (`@needs-saml`,
//! `@needs-saml-forgery`: the same capabilities decide).
//!
//! Each operation is the scenarios' own steps, run by their sentences
//! ([`Case::sentence`]), so every check is the one the scenario makes, and a
//! shrunk case is a scenario to paste as it is. What only an order reveals
//! the model adds: a user's XML key never changes, whatever came between
//! (seed 001: "The API key doesn't change"), and the JSON API answers the
//! same key.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::api;
use super::offers;
use super::steps::Minted;
use super::target::{LiquidFilesTarget, login};
use crate::harness::explore::{Case, Halt, Model};
use crate::harness::target::Target;
use crate::harness::world::{Persona, RunContext};
use crate::provenance::Rule;
use crate::reference::liquidfiles::rules::*;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    XmlLogin {
        who: Persona,
        username: bool,
        application_xml: bool,
    },
    /// dan's password with `&` and `$`: 0 decimal references, 1 hexadecimal,
    /// 2 only what XML needs escaped, 3 raw (must fail).
    DanPosts {
        written: u8,
    },
    XmlRefused {
        /// 0 a wrong password, 1 an unknown user, 2 no `<password>`.
        which: u8,
    },
    JsonLogin,
    JsonRefused {
        /// 0 a wrong password, 1 an unknown user, 2 no password.
        which: u8,
    },
    BrowserSignIn {
        who: Persona,
        agent_port: bool,
    },
    BrowserRefused {
        unknown: bool,
    },
    BrowserBadPort {
        port: u8,
    },
    BrowserTwoFactor {
        /// 0 no code, 1 a wrong code, 2 the current code.
        code: u8,
    },
    BrowserAgent,
    BrowserKeyLifetime {
        passes: bool,
    },
    /// LF20: `/saml/api` sends the browser to the IdP with an AuthnRequest.
    SamlOpen,
    /// LF21-LF23: alice's login at the IdP, with or without the agent port;
    /// `use_key`: her key on the API (where the target gives a probe).
    SamlSignIn {
        agent_port: bool,
        use_key: bool,
    },
    /// LF24: a wrong password at the IdP.
    SamlWrongPassword,
    /// LF24-LF33: a Response that breaks one rule, [`Minted::ALL`]`[which]`.
    SamlMinted {
        which: u8,
    },
    /// LF30's first half: a good Response, which logs alice in.
    SamlGood,
    /// LF30: a new login answered with the assertion ID of the last good
    /// Response (one is posted first when the case has none to replay).
    SamlReplay,
    /// LF34: a good Response with a RelayState pointing off-site.
    SamlRelayOffSite,
}

/// The capabilities (the feature's `@needs-…` tags) of `/saml/api`'s
/// scenarios, and of those that mint Responses.
const NEEDS_SAML: &str = "needs-saml";
const NEEDS_SAML_FORGERY: &str = "needs-saml-forgery";

const BAD_PORTS: [&str; 4] = ["abc", "0", "65536", "80x"];

/// What the model holds in one case.
pub struct LiquidFilesModel {
    /// Each user's XML key, once seen.
    keys: Vec<(Persona, String)>,
    agent: u32,
    /// The last Response minted was a good one the server accepted, and the
    /// clock has not moved since: its assertion ID must not log in again
    /// (SAML Profiles 4.1.4.5 lets the SP forget it only once it expired).
    replayable: bool,
}

impl LiquidFilesModel {
    /// The key of the last XML or JSON answer.
    fn last_key(case: &Case) -> Option<String> {
        let x = case.w.last.as_ref()?;
        api::xml_element(&x.response_body, "api_key")
            .or_else(|| api::json_api_key(&x.response_body))
            .filter(|k| !k.is_empty())
    }

    /// A user's key is the same as every earlier answer's.
    fn same_key(&mut self, case: &mut Case, who: Persona, rule: &'static Rule) -> Result<(), Halt> {
        let Some(key) = Self::last_key(case) else {
            return Ok(());
        };
        match self.keys.iter().find(|(w, _)| *w == who) {
            Some((_, first)) => {
                let same = *first == key;
                case.say(format!(
                    "And {}'s api_key is the one of her first login",
                    who.name()
                ));
                case.documented(
                    rule,
                    same,
                    &format!("{}'s api_key unchanged since her first login", who.name()),
                )
            }
            None => {
                self.keys.push((who, key));
                Ok(())
            }
        }
    }

    /// The target cannot play `/saml/api` this way (a replay file's
    /// operation on a target without the IdP it needs): nothing judged.
    fn saml_offered(case: &Case, forgery: bool) -> Result<(), Halt> {
        let target = &case.ctx().target;
        let offered =
            offers(target, NEEDS_SAML) && (!forgery || offers(target, NEEDS_SAML_FORGERY));
        if offered {
            Ok(())
        } else {
            Err(Halt::Inconclusive(format!(
                "the target lacks @{}: this /saml/api operation cannot run",
                if forgery {
                    NEEDS_SAML_FORGERY
                } else {
                    NEEDS_SAML
                }
            )))
        }
    }

    /// LF30's first half: a good Response for alice logs her in.
    async fn saml_good(&mut self, case: &mut Case) -> Result<(), Halt> {
        self.replayable = false;
        case.sentence(
            "When the browser posts a good Response for alice to the assertion consumer service",
        )
        .await?;
        case.sentence(
            "Then the page says the authentication succeeded and shows an API key in div#api_key",
        )
        .await?;
        self.replayable = true;
        Ok(())
    }

    async fn browser_success(case: &mut Case, agent_port: bool) -> Result<(), Halt> {
        case.sentence(
            "Then the page says the authentication succeeded and shows an API key in div#api_key",
        )
        .await?;
        if agent_port {
            case.sentence("When the browser makes the agent callback")
                .await?;
            case.sentence("Then the listener received exactly one POST with the form body api_key=<the page's key>")
                .await
        } else {
            case.sentence("Then the page has no agent callback form")
                .await
        }
    }
}

impl Model for LiquidFilesModel {
    type Op = Op;

    const PROPERTY: &'static str = "liquidfiles XML, JSON, browser and SAML logins";

    fn ops(target: &Target) -> Vec<(u32, BoxedStrategy<Op>)> {
        let lf = target.section::<LiquidFilesTarget>();
        let who = prop_oneof![3 => Just(Persona::Alice), 1 => Just(Persona::Bob)];
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = Vec::new();
        // The POST /login APIs the deployment offers (declared, or found out
        // before the run); none: only the browser login.
        let logins = login(target);
        if logins.is_some_and(|l| l.xml()) {
            ops.push((
                5,
                (who.clone(), prop::bool::weighted(0.3), any::<bool>())
                    .prop_map(|(who, username, application_xml)| Op::XmlLogin {
                        who,
                        username,
                        application_xml,
                    })
                    .boxed(),
            ));
            ops.push((
                2,
                (0u8..3).prop_map(|which| Op::XmlRefused { which }).boxed(),
            ));
            if lf.is_some_and(|l| l.special.is_some()) {
                ops.push((
                    2,
                    (0u8..4)
                        .prop_map(|written| Op::DanPosts { written })
                        .boxed(),
                ));
            }
        }
        if logins.is_some_and(|l| l.json()) {
            ops.push((3, Just(Op::JsonLogin).boxed()));
            ops.push((
                1,
                (0u8..3).prop_map(|which| Op::JsonRefused { which }).boxed(),
            ));
        }
        ops.push((
            4,
            (who, any::<bool>())
                .prop_map(|(who, agent_port)| Op::BrowserSignIn { who, agent_port })
                .boxed(),
        ));
        ops.push((
            1,
            any::<bool>()
                .prop_map(|unknown| Op::BrowserRefused { unknown })
                .boxed(),
        ));
        ops.push((
            1,
            (0u8..4)
                .prop_map(|port| Op::BrowserBadPort { port })
                .boxed(),
        ));
        if target
            .users
            .twofactor
            .as_ref()
            .is_some_and(|a| a.totp_secret.is_some())
        {
            ops.push((
                2,
                (0u8..3)
                    .prop_map(|code| Op::BrowserTwoFactor { code })
                    .boxed(),
            ));
        }
        // `/saml/api` where the scenarios would play it; the minted
        // Responses only with an IdP whose signing key the harness holds.
        if offers(target, NEEDS_SAML) {
            ops.push((1, Just(Op::SamlOpen).boxed()));
            ops.push((
                2,
                (any::<bool>(), any::<bool>())
                    .prop_map(|(agent_port, use_key)| Op::SamlSignIn {
                        agent_port,
                        use_key,
                    })
                    .boxed(),
            ));
            ops.push((1, Just(Op::SamlWrongPassword).boxed()));
            if offers(target, NEEDS_SAML_FORGERY) {
                ops.push((
                    3,
                    (0..Minted::ALL.len() as u8)
                        .prop_map(|which| Op::SamlMinted { which })
                        .boxed(),
                ));
                ops.push((1, Just(Op::SamlGood).boxed()));
                ops.push((1, Just(Op::SamlReplay).boxed()));
                ops.push((1, Just(Op::SamlRelayOffSite).boxed()));
            }
        }
        if target.control_url.is_some() {
            ops.push((1, Just(Op::BrowserAgent).boxed()));
            // The lifetime is the target file's (the documents give none).
            if lf.is_some_and(|l| l.probe_path.is_some() && l.key_lifetime_minutes.is_some()) {
                ops.push((
                    1,
                    any::<bool>()
                        .prop_map(|passes| Op::BrowserKeyLifetime { passes })
                        .boxed(),
                ));
            }
        }
        ops
    }

    /// The rules of `/session/api`, the XML and JSON logins and
    /// `/saml/api`, which the scenarios' sentences it plays check.
    fn rules() -> &'static [&'static Rule] {
        static EVERY: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
        EVERY.get_or_init(|| ALL.concat())
    }

    /// `/saml/api`'s rules only where its operations are drawn.
    fn rules_for(target: &Target) -> &'static [&'static Rule] {
        if offers(target, NEEDS_SAML) {
            Self::rules()
        } else {
            SESSION_AND_LOGIN
        }
    }

    fn start(_: &RunContext) -> Self {
        LiquidFilesModel {
            keys: Vec::new(),
            agent: 0,
            replayable: false,
        }
    }

    async fn step(&mut self, case: &mut Case, op: &Op) -> Result<(), Halt> {
        match *op {
            Op::XmlLogin {
                who,
                username,
                application_xml,
            } => {
                let has_username = case
                    .ctx()
                    .target
                    .section::<LiquidFilesTarget>()
                    .is_some_and(|l| l.primary_username.is_some());
                let by = if username && who == Persona::Alice && has_username {
                    "username"
                } else {
                    "email"
                };
                let ct = if application_xml {
                    "application/xml"
                } else {
                    "text/xml"
                };
                case.sentence(&format!(
                    "When {} posts her {by} and password to /login as {ct}",
                    who.name()
                ))
                .await?;
                case.sentence(
                    "Then the XML answer is 2xx with a non-empty api_key in the user element",
                )
                .await?;
                self.same_key(case, who, &KEY_DOES_NOT_CHANGE)
            }
            Op::DanPosts { written } => {
                let how = [
                    "with every character outside [A-Za-z0-9] as a decimal character reference",
                    "with hexadecimal character references",
                    "with only & and < escaped and the rest literal",
                    "unescaped",
                ][usize::from(written.min(3))];
                case.sentence(&format!("When dan posts his password to /login {how}"))
                    .await?;
                if written >= 3 {
                    case.sentence("Then the XML login is refused without an api_key")
                        .await
                } else {
                    case.sentence(
                        "Then the XML answer is 2xx with a non-empty api_key in the user element",
                    )
                    .await
                }
            }
            Op::XmlRefused { which } => {
                let line = match which {
                    0 => {
                        let alice = case.ctx().target.users.primary.clone();
                        if alice.is_none_or(|a| !case.may_send_wrong_password(&a.username)) {
                            return Ok(());
                        }
                        "When someone posts alice's email and a wrong password to /login"
                    }
                    1 => "When someone posts an unknown email and a password to /login",
                    _ => "When alice posts no <password> with her credentials to /login",
                };
                case.sentence(line).await?;
                case.sentence("Then the XML login is refused without an api_key")
                    .await
            }
            Op::JsonLogin => {
                case.sentence("When alice posts her email and password to /login as JSON")
                    .await?;
                case.sentence("Then the JSON answer is 2xx with a non-empty user.api_key")
                    .await?;
                self.same_key(case, Persona::Alice, &KEY_DOES_NOT_CHANGE)
            }
            Op::JsonRefused { which } => {
                let line = match which {
                    0 => {
                        let alice = case.ctx().target.users.primary.clone();
                        if alice.is_none_or(|a| !case.may_send_wrong_password(&a.username)) {
                            return Ok(());
                        }
                        "When someone posts alice's email and a wrong password to /login as JSON"
                    }
                    1 => "When someone posts an unknown email and a password to /login as JSON",
                    _ => "When alice posts her email without a password as JSON to /login",
                };
                case.sentence(line).await?;
                case.sentence("Then the JSON login is refused without an api_key")
                    .await
            }
            Op::BrowserSignIn { who, agent_port } => {
                if agent_port {
                    case.sentence("Given a listener on a random local port")
                        .await?;
                    case.sentence(&format!(
                        "When {} signs in on the /session/api page with the listener's port as agent_port",
                        who.name()
                    ))
                    .await?;
                } else {
                    case.sentence(&format!(
                        "When {} signs in on the /session/api page",
                        who.name()
                    ))
                    .await?;
                }
                Self::browser_success(case, agent_port).await
            }
            Op::BrowserRefused { unknown } => {
                let which = if unknown {
                    "an unknown user's email and a password"
                } else {
                    let alice = case.ctx().target.users.primary.clone();
                    if alice.is_none_or(|a| !case.may_send_wrong_password(&a.username)) {
                        return Ok(());
                    }
                    "alice's email and a wrong password"
                };
                case.sentence(&format!(
                    "When someone submits the /session/api login form with {which}"
                ))
                .await?;
                case.sentence("Then the login page is shown again with an error and no API key")
                    .await
            }
            Op::BrowserBadPort { port } => {
                let port = BAD_PORTS[usize::from(port % 4)];
                case.sentence(&format!(
                    "When someone opens the /session/api page with agent_port \"{port}\""
                ))
                .await?;
                case.sentence(
                    "Then the page is refused without a login form, or the login that follows posts no key anywhere",
                )
                .await
            }
            Op::BrowserTwoFactor { code } => {
                if code < 2 && !case.budget().may_send_refused_code() {
                    return Ok(());
                }
                case.sentence("Given a listener on a random local port")
                    .await?;
                case.sentence("When carol submits her password on the /session/api page with the listener's port as agent_port")
                    .await?;
                case.sentence("Then the page asks for a two-factor code and shows no API key")
                    .await?;
                let which = ["no", "a wrong", "the current"][usize::from(code.min(2))];
                case.sentence(&format!("When carol submits {which} two-factor code"))
                    .await?;
                case.budget().code_answered(code >= 2);
                if code >= 2 {
                    Self::browser_success(case, true).await
                } else {
                    case.sentence("Then the two-factor form is shown again with no API key")
                        .await
                }
            }
            Op::BrowserAgent => {
                self.agent += 1;
                let version = format!(
                    "{}.{}",
                    self.agent,
                    case.ctx().clock.now().await.unwrap_or_default() % 1000
                );
                case.sentence(&format!(
                    "When alice signs in on the /session/api page with agent_name \"authconform-explore\" and agent_version \"{version}\""
                ))
                .await?;
                case.sentence("Then the page says the authentication succeeded and shows an API key in div#api_key")
                    .await?;
                case.sentence(&format!(
                    "Then the activity log's newest entry for alice holds agent_name \"authconform-explore\" and agent_version \"{version}\""
                ))
                .await
            }
            Op::BrowserKeyLifetime { passes } => {
                // The clock moves: an earlier assertion may expire, and the
                // SP may forget its ID.
                self.replayable = false;
                case.sentence("When alice signs in on the /session/api page")
                    .await?;
                case.sentence("Then the page says the authentication succeeded and shows an API key in div#api_key")
                    .await?;
                case.sentence("Then the key from the page is accepted as the HTTP Basic user name")
                    .await?;
                if passes {
                    // As LF8 moves it: to a minute before the end, then past it.
                    case.sentence("When the browser key's lifetime nearly passes")
                        .await?;
                    case.sentence("When the browser key's lifetime passes")
                        .await?;
                    case.sentence("Then the key from the page is refused").await
                } else {
                    case.sentence("When the browser key's lifetime nearly passes")
                        .await?;
                    case.sentence(
                        "Then the key from the page is accepted as the HTTP Basic user name",
                    )
                    .await
                }
            }
            Op::SamlOpen => {
                Self::saml_offered(case, false)?;
                case.sentence("When the browser opens the /saml/api page")
                    .await?;
                case.sentence(
                    "Then the browser is sent to the SAML identity provider with an AuthnRequest",
                )
                .await
            }
            Op::SamlSignIn {
                agent_port,
                use_key,
            } => {
                Self::saml_offered(case, false)?;
                if agent_port {
                    case.sentence("Given a listener on a random local port")
                        .await?;
                    case.sentence("When alice signs in through the /saml/api page at the identity provider with the listener's port as agent_port")
                        .await?;
                } else {
                    case.sentence(
                        "When alice signs in through the /saml/api page at the identity provider",
                    )
                    .await?;
                }
                case.sentence(
                    "Then the page says the authentication succeeded and shows an API key in div#api_key",
                )
                .await?;
                if use_key && offers(&case.ctx().target, "needs-key-probe") {
                    case.sentence(
                        "Then the key from the page is accepted as the HTTP Basic user name",
                    )
                    .await?;
                }
                Self::browser_success(case, agent_port).await
            }
            Op::SamlWrongPassword => {
                Self::saml_offered(case, false)?;
                let account = case.ctx().target.users.saml.clone();
                if account.is_none_or(|a| !case.may_send_wrong_password(&a.username)) {
                    return Ok(());
                }
                case.sentence("When alice signs in through the /saml/api page with a wrong password at the identity provider")
                    .await?;
                case.sentence("Then no API key is shown").await
            }
            Op::SamlMinted { which } => {
                Self::saml_offered(case, true)?;
                self.replayable = false;
                let minted = Minted::ALL[usize::from(which) % Minted::ALL.len()];
                case.sentence(&format!(
                    "When the browser posts a Response for alice {} to the assertion consumer service",
                    minted.words()
                ))
                .await?;
                case.sentence("Then no API key is shown").await
            }
            Op::SamlGood => {
                Self::saml_offered(case, true)?;
                self.saml_good(case).await
            }
            Op::SamlReplay => {
                Self::saml_offered(case, true)?;
                if !self.replayable {
                    self.saml_good(case).await?;
                }
                case.sentence("When the browser posts another Response for alice with the same assertion ID to the assertion consumer service")
                    .await?;
                case.sentence("Then no API key is shown").await
            }
            Op::SamlRelayOffSite => {
                Self::saml_offered(case, true)?;
                self.replayable = false;
                case.sentence("When the browser posts a good Response for alice with the RelayState \"https://relay.authconform.invalid/steal\" to the assertion consumer service")
                    .await?;
                case.sentence("Then the browser is not sent off-site").await
            }
        }
    }

    async fn finish(&mut self, _case: &mut Case) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::explore::engine::{cases, runner};

    /// A target whose users have an account at the IdP or not, and whose
    /// `liquidfiles.saml` names `idp` (none: no section).
    fn target(users_saml: bool, idp: Option<&str>) -> Target {
        let mut text = String::from(
            "vendor: liquidfiles\nbase_url: https://files.example\nusers:\n  primary: {username: a@example.com, password: p}\n  secondary: {username: b@example.com, password: q}\n",
        );
        if users_saml {
            text.push_str("  saml: {username: a@example.com, password: r}\n");
        }
        text.push_str("liquidfiles:\n  login: both\n");
        if let Some(idp) = idp {
            text.push_str(&format!("  saml: {{idp: {idp}}}\n"));
        }
        Target::parse(&text, &|_| None).expect("the target file")
    }

    /// The kinds of `/saml/api` operation drawn in 200 cases against `target`.
    fn saml_drawn(target: &Target) -> Vec<String> {
        let strategy = cases::<LiquidFilesModel>(target, 12);
        let mut r = runner(22);
        let mut kinds: Vec<String> = (0..200)
            .flat_map(|_| strategy.new_tree(&mut r).expect("a case").current())
            .map(|op| {
                let json = serde_json::to_value(&op).expect("an op");
                json["op"].as_str().unwrap_or_default().to_owned()
            })
            .filter(|k| k.starts_with("saml"))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    #[test]
    fn saml_is_drawn_only_where_the_scenarios_would_play_it() {
        // No IdP, or no account at it: no /saml/api operation.
        assert!(saml_drawn(&target(false, None)).is_empty());
        assert!(saml_drawn(&target(false, Some("embedded"))).is_empty());
        assert!(saml_drawn(&target(true, None)).is_empty());
        // An IdP the harness cannot sign for: its login, no minted Response.
        assert_eq!(
            saml_drawn(&target(true, Some("external"))),
            ["saml-open", "saml-sign-in", "saml-wrong-password"]
        );
        // The embedded IdP: every /saml/api operation.
        assert_eq!(
            saml_drawn(&target(true, Some("embedded"))),
            [
                "saml-good",
                "saml-minted",
                "saml-open",
                "saml-relay-off-site",
                "saml-replay",
                "saml-sign-in",
                "saml-wrong-password"
            ]
        );
    }

    #[test]
    fn the_reports_claim_saml_rules_only_where_saml_is_drawn() {
        let rules = |t| LiquidFilesModel::rules_for(&t).len();
        assert_eq!(rules(target(true, None)), SESSION_AND_LOGIN.len());
        assert_eq!(
            rules(target(false, Some("embedded"))),
            SESSION_AND_LOGIN.len()
        );
        assert_eq!(
            rules(target(true, Some("external"))),
            SESSION_AND_LOGIN.len() + SAML.len()
        );
    }
}
