//! What a LiquidFiles server offers, found out before the run: seed 001 says
//! the XML `POST /login` is fully functional only on v2 and that v3 has a
//! JSON API in its place, so a deployment may offer either or both. Unless
//! the target file declares `liquidfiles.login` (then checked strictly), the
//! suite signs each password account on every documented way and runs what
//! answers, saying which.
//!
//! It also tells a wrong target file from a broken server (issue #20 item
//! 9): an account is "cannot sign on" (exit 2) only when no documented way
//! in takes its password: the XML login with the seed's decimal references
//! or with only what XML itself requires, the JSON login, and the browser
//! login of `/session/api` (seed 000). A server that refuses one of those
//! ways but not the others gets its verdict from the scenario of that way.
//! The two-factor account is never signed on with its password alone: a
//! server may well refuse it a key that way (that is why seed 000's browser
//! flow exists); its scenarios use it.

use super::api::{self, Escaping};
use super::player::{self, Player, http::HttpPlayer, look};
use super::target::{Discovered, LiquidFilesTarget};
use crate::harness::exchange::{Call, Exchange, HttpClient};
use crate::harness::target::{Account, Target};
use crate::harness::world::Status;

/// A documented way to a key with a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// `POST /login`, `text/xml`, the password in decimal references (seed 001).
    XmlDecimal,
    /// The same with only `&` and `<` escaped, as XML itself requires.
    XmlMinimal,
    /// `application/xml` (a server may take only that).
    XmlApplication,
    /// The v3 JSON API.
    Json,
}

impl Way {
    const ALL: [Way; 4] = [
        Way::XmlDecimal,
        Way::XmlMinimal,
        Way::XmlApplication,
        Way::Json,
    ];

    pub fn is_xml(self) -> bool {
        self != Way::Json
    }

    /// The request of this way for `account`.
    pub fn call(self, account: &Account) -> Call {
        let xml = |escaping, content_type| {
            api::xml_login(
                &api::login_document(
                    &account.username,
                    &api::escape_password(&account.password, escaping),
                ),
                content_type,
            )
        };
        match self {
            Way::XmlDecimal => xml(Escaping::Decimal, "text/xml"),
            Way::XmlMinimal => xml(Escaping::Minimal, "text/xml"),
            Way::XmlApplication => xml(Escaping::Decimal, "application/xml"),
            Way::Json => api::json_login(&account.username, &account.password),
        }
    }

    fn words(self) -> &'static str {
        match self {
            Way::XmlDecimal => "XML (text/xml, decimal references)",
            Way::XmlMinimal => "XML (text/xml, & and < escaped)",
            Way::XmlApplication => "XML (application/xml)",
            Way::Json => "JSON",
        }
    }
}

/// The key an answer gives, XML or JSON.
pub fn key_of(x: &Exchange) -> Option<String> {
    if !Status::Success.holds(x.status) {
        return None;
    }
    api::xml_element(&x.response_body, "api_key")
        .or_else(|| api::json_api_key(&x.response_body))
        .filter(|k| !k.is_empty())
}

/// Whether the answer is the API of `way` answering: a 2xx in its format
/// (a server that answers the XML login 200 with another element still has
/// the XML API; the scenarios judge the element).
fn api_answers(way: Way, x: &Exchange) -> bool {
    let ct = x
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    Status::Success.holds(x.status)
        && if way.is_xml() {
            ct.contains("xml") || x.response_body.trim_start().starts_with('<')
        } else {
            x.json.is_some()
        }
}

/// Finds out what the target's server offers, unless its file declares it;
/// the lines that say what was found.
pub async fn discover(target: &mut Target, http: &HttpClient) -> Vec<String> {
    let Some(section) = target.section::<LiquidFilesTarget>().cloned() else {
        return Vec::new();
    };
    let accounts: Vec<(&'static str, Account)> = [
        ("users.primary", target.users.primary.clone()),
        ("users.secondary", target.users.secondary.clone()),
    ]
    .into_iter()
    .filter_map(|(role, a)| a.map(|a| (role, a)))
    .collect();
    let mut found = Discovered::default();
    let mut notes = Vec::new();
    for (role, account) in &accounts {
        let mut seen = Vec::new();
        let mut signed_on = None;
        for way in Way::ALL {
            let Ok(x) = http.send(&way.call(account)).await else {
                // Unreachable: preflight says so in its own words.
                return Vec::new();
            };
            if api_answers(way, &x) {
                if way.is_xml() {
                    found.xml = true;
                } else {
                    found.json = true;
                }
            }
            if signed_on.is_none() && key_of(&x).is_some() {
                signed_on = Some(way);
            }
            seen.push(format!("{} answered HTTP {}", way.words(), x.status));
        }
        match signed_on {
            Some(way) => found.sign_ons.push((role, way)),
            None => {
                let browser = browser_signs_on(http, account).await;
                let seen = format!("POST /login {}", seen.join(", "));
                match browser {
                    Ok(()) => notes.push(format!(
                        "liquidfiles: {role} ({}) signs on only in the browser (/session/api): {seen}; the /login scenarios judge that",
                        account.username
                    )),
                    Err(why) => found.problems.push(format!(
                        "{role} ({}) cannot sign on in any documented way: {seen}; /session/api: {why}; check the username and password in the target file",
                        account.username
                    )),
                }
            }
        }
    }
    let offered = match (found.xml, found.json) {
        (true, true) => "the XML and the JSON API",
        (true, false) => "the XML API only (LiquidFiles v2): the JSON scenarios are skipped",
        (false, true) => "the JSON API only (LiquidFiles v3): the XML scenarios are skipped",
        (false, false) => "neither API to these accounts",
    };
    match section.login {
        Some(declared) => notes.push(format!(
            "liquidfiles: POST /login offers {offered}; the target declares `login: {}`, which is checked",
            match declared {
                super::target::LiquidFilesLogin::Xml => "xml",
                super::target::LiquidFilesLogin::Json => "json",
                super::target::LiquidFilesLogin::Both => "both",
            }
        )),
        None => notes.push(format!(
            "liquidfiles: POST /login offers {offered} (found out before the run; `liquidfiles.login` declares it)"
        )),
    }
    let mut section = section;
    section.discovered = Some(found);
    target.set_section(section);
    notes
}

/// Whether the browser login takes `account`'s password: after it, a page
/// with the key, a second factor's form, or anything but the login form again.
async fn browser_signs_on(http: &HttpClient, account: &Account) -> Result<(), String> {
    let mut p = Player::Http(HttpPlayer::default());
    let mut wire = http;
    let url = format!("{}{}", http.base_url(), api::SESSION_API);
    let outcome = async {
        p.open(&mut wire, &url).await?;
        player::sign_in(
            &mut p,
            &mut wire,
            &account.username,
            &account.password,
            None,
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) => {
            let page = p.page().map(|x| x.html.clone()).unwrap_or_default();
            match look::ask(&page, look::Stage::Credentials) {
                look::Ask::Password { .. } if look::api_key(&page).is_none() => {
                    Err("the login form came back".into())
                }
                _ => Ok(()),
            }
        }
        Err(player::PlayError::NotJudged(_)) => Ok(()),
        Err(player::PlayError::Failed(why) | player::PlayError::Broke(_, why)) => {
            Err(format!("expected {why}"))
        }
        Err(player::PlayError::Wire(f)) => Err(f.0),
    }
}
