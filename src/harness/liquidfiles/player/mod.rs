//! The two players of `/session/api` (seed 000: "You simply open a web
//! browser window the relative URL /session/api"): a real browser driven over
//! WebDriver ([`browser`]), which runs the pages' script and makes the
//! agent-port callback itself, and the HTTP player ([`http`]), which runs
//! none and stands in when no browser is available. Both read a page the same
//! way ([`look`]) and sign in the same way ([`sign_in`], [`enter_code`]): the
//! form with a password box, its user box (a two-step login's first page
//! asks for the user alone), the second factor's box or boxes (on a page of
//! their own, or in the login form itself).

pub mod browser;
pub mod http;
pub mod look;
pub mod webdriver;

use look::{Ask, Stage};

use crate::harness::world::Failure;

/// A page as the player sees it.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub url: String,
    /// The status of the answer that showed it (the browser reads it from
    /// the Navigation Timing entry, where the browser gives it).
    pub status: Option<u16>,
    /// The HTML: the answer's body (HTTP) or the live document (browser).
    pub html: String,
    /// The answer's headers (HTTP only: a browser does not show them).
    pub headers: Vec<(String, String)>,
}

/// Why a player could not go on.
#[derive(Debug)]
pub enum PlayError {
    /// The exchange itself failed (transport, a documented spec violation).
    Wire(Failure),
    /// What a browser user would have found is not there.
    Failed(String),
    /// What the rule says a browser user finds is not there: the login
    /// prompt, the second factor's page.
    Broke(&'static crate::provenance::Rule, String),
    /// Only script could go on, which this player does not run.
    NotJudged(String),
}

/// Which player plays a scenario.
#[derive(Debug)]
pub enum Player {
    Http(http::HttpPlayer),
    Browser(browser::BrowserPlayer),
}

impl Player {
    pub fn page(&self) -> Option<&Page> {
        match self {
            Player::Http(p) => p.page(),
            Player::Browser(p) => p.page(),
        }
    }

    pub fn is_browser(&self) -> bool {
        matches!(self, Player::Browser(_))
    }

    /// Opens `url`.
    pub async fn open(&mut self, wire: &mut impl http::Wire, url: &str) -> Result<(), PlayError> {
        match self {
            Player::Http(p) => p.open(wire, url).await.map(|_| ()),
            Player::Browser(p) => p.open(url).await,
        }
    }

    /// Types `values` into form `form`'s inputs (by index) and submits it.
    pub async fn submit(
        &mut self,
        wire: &mut impl http::Wire,
        form: usize,
        values: &[(usize, String)],
    ) -> Result<(), PlayError> {
        match self {
            Player::Http(p) => p.submit(wire, form, values).await.map(|_| ()),
            Player::Browser(p) => p.submit(form, values).await,
        }
    }

    /// What the page asks now.
    pub fn ask(&self, stage: Stage) -> Ask {
        self.page()
            .map(|p| look::ask(&p.html, stage))
            .unwrap_or(Ask::Nothing)
    }

    /// Why this player cannot judge the page it is on, if so: the page has
    /// no key and nothing to type into, but script, which would go on (the
    /// HTTP player runs none).
    pub fn stuck_on_script(&self, stage: Stage) -> Option<String> {
        let Player::Http(p) = self else { return None };
        let page = p.page()?;
        (look::api_key(&page.html).is_none()
            && look::ask(&page.html, stage) == Ask::Nothing
            && look::has_script(&page.html))
        .then(|| {
            format!(
                "not judged: the page at {} goes on by script, which the HTTP player does not run (give the run a browser: --browser chromium)",
                page.url
            )
        })
    }
}

/// Goes past the pages that ask who the user is before the password (a
/// two-step login's first page, at most two of them): types `user` into
/// each and submits it. Stops at any other page.
pub async fn identify(
    player: &mut Player,
    wire: &mut impl http::Wire,
    user: &str,
) -> Result<(), PlayError> {
    for _ in 0..2 {
        let Ask::Identifier { form, user: u } = player.ask(Stage::Credentials) else {
            break;
        };
        player.submit(wire, form, &[(u, user.to_owned())]).await?;
    }
    Ok(())
}

/// Signs in with `user` and `password` on the page shown: the form with a
/// password box (its user box, if it has one, gets `user`); a page asking
/// for the user alone first is a two-step login's first page. A login form
/// that also has the second factor's box gets `code` there, or nothing
/// (a user without Strong 2FA, or a step that submits the password alone).
pub async fn sign_in(
    player: &mut Player,
    wire: &mut impl http::Wire,
    user: &str,
    password: &str,
    code: Option<&str>,
) -> Result<(), PlayError> {
    identify(player, wire, user).await?;
    if let Ask::Password {
        form,
        user: user_box,
        password: pw,
        code: code_boxes,
    } = player.ask(Stage::Credentials)
    {
        let mut values = vec![(pw, password.to_owned())];
        if let Some(u) = user_box {
            values.push((u, user.to_owned()));
        }
        if let Some(code) = code {
            values.extend(code_values(&code_boxes, code));
        }
        return player.submit(wire, form, &values).await;
    }
    if let Some(why) = player.stuck_on_script(Stage::Credentials) {
        return Err(PlayError::NotJudged(why));
    }
    Err(PlayError::Broke(
        &crate::reference::liquidfiles::rules::BROWSER_LOGIN_PROMPT,
        "a login prompt: a form with a password box (after at most two pages asking for the user)"
            .into(),
    ))
}

/// `code` typed into `boxes`: all of it into one box, or one digit a box.
fn code_values(boxes: &[usize], code: &str) -> Vec<(usize, String)> {
    if boxes.len() > 1 {
        boxes
            .iter()
            .zip(code.chars())
            .map(|(b, c)| (*b, c.to_string()))
            .collect()
    } else {
        boxes.iter().map(|b| (*b, code.to_owned())).collect()
    }
}

/// Types `code` into the second factor's form: one box, or one digit a box
/// when it has a box per digit; other boxes (a device name) get a name; a
/// form that asks for the user and the password again with the code (a
/// login form with the code box, shown again) gets them too.
pub async fn enter_code(
    player: &mut Player,
    wire: &mut impl http::Wire,
    code: &str,
    user: &str,
    password: &str,
) -> Result<(), PlayError> {
    let Ask::Code {
        form,
        code: boxes,
        others,
        user: user_box,
        password: password_box,
    } = player.ask(Stage::SecondFactor)
    else {
        return Err(PlayError::Broke(
            &crate::reference::liquidfiles::rules::STRONG_2FA_BEFORE_KEY,
            "a page asking for the two-factor code (a form with a box for it)".into(),
        ));
    };
    let mut values = code_values(&boxes, code);
    values.extend(others.iter().map(|o| (*o, "authconform".to_owned())));
    if let Some(u) = user_box {
        values.push((u, user.to_owned()));
    }
    if let Some(p) = password_box {
        values.push((p, password.to_owned()));
    }
    player.submit(wire, form, &values).await
}
