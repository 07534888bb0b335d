//! What a user sees on a `/session/api` page, read from its HTML the same way
//! by both players (the HTTP player reads the answer; the browser player the
//! live DOM, with what the browser does not display marked): which form asks
//! for the user name, which for the password, which for the second factor,
//! which input is the honeypot, whether the page says "Authentication
//! Successful" and shows the key, and whether it moves on by itself.
//!
//! Seed 000 says only "a login prompt" and "the normal web browser login":
//! no markup, names or number of pages. So forms are found by what they are
//! for a person (a password box; a box for the code), never by id or name.

use crate::reference::liquidfiles::page::{self, Form, Tag};

/// The attribute the browser player sets on every control it does not
/// display (CSS-hidden, off screen, zero-sized): read as hidden here.
pub const HIDDEN_MARK: &str = "data-authconform-hidden";

/// An input's type, lower-cased; `text` when absent (as browsers read it).
pub fn input_type(t: &Tag) -> String {
    t.attr("type")
        .map(str::to_ascii_lowercase)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "text".to_owned())
}

/// Whether a person can see and type into `t`, as far as its own markup and
/// the elements around it in `html` say (the browser player marks what
/// its layout hides, which markup cannot tell).
pub fn visible(html: &str, t: &Tag) -> bool {
    if t.attr(HIDDEN_MARK).is_some()
        || t.attr("hidden").is_some()
        || t.attr("aria-hidden") == Some("true")
        || t.attr("tabindex").map(str::trim) == Some("-1")
        || input_type(t) == "hidden"
        || hides(t)
    {
        return false;
    }
    !hidden_by_ancestor(html, t)
}

/// A style or class that hides an element.
fn hides(t: &Tag) -> bool {
    let style = t
        .attr("style")
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace(' ', "");
    let class = t.attr("class").unwrap_or("").to_ascii_lowercase();
    style.contains("display:none")
        || style.contains("visibility:hidden")
        || style.contains("left:-")
        || style.contains("top:-")
        || class
            .split_whitespace()
            .any(|c| matches!(c, "d-none" | "hidden" | "sr-only" | "visually-hidden"))
}

/// Whether an element that encloses `t` (opened before it, closed after it)
/// hides it.
fn hidden_by_ancestor(html: &str, t: &Tag) -> bool {
    let tags = page::tags(html);
    tags.iter()
        .filter(|a| a.end <= t.start && (hides(a) || a.attr("hidden").is_some()))
        .filter(|a| !matches!(a.name.as_str(), "input" | "br" | "img" | "meta" | "link"))
        .any(|a| element_end(html, &tags, a) > t.start)
}

/// The controls a person types a line into: text, email, tel, number,
/// search, password; visible; enabled; named.
fn typed_inputs<'f>(html: &str, form: &'f Form) -> Vec<&'f Tag> {
    form.inputs
        .iter()
        .filter(|t| t.attr("name").is_some() && t.attr("disabled").is_none())
        .filter(|t| {
            matches!(
                input_type(t).as_str(),
                "text" | "email" | "tel" | "number" | "search" | "password" | "url"
            )
        })
        .filter(|t| visible(html, t))
        .collect()
}

fn words_of(t: &Tag) -> String {
    [
        t.attr("name"),
        t.attr("id"),
        t.attr("autocomplete"),
        t.attr("placeholder"),
        t.attr("aria-label"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_ascii_lowercase()
}

/// How much an input looks like the user-name box.
fn user_score(t: &Tag) -> i32 {
    let words = words_of(t);
    let mut s = 0;
    if matches!(t.attr("autocomplete"), Some("username" | "email")) {
        s += 8;
    }
    if input_type(t) == "email" {
        s += 4;
    }
    if ["email", "user", "login", "name", "account"]
        .iter()
        .any(|w| words.contains(w))
    {
        s += 2;
    }
    s
}

/// How much an input looks like the box for a one-time code.
fn code_score(t: &Tag) -> i32 {
    let words = words_of(t);
    let mut s = 0;
    if t.attr("autocomplete") == Some("one-time-code") {
        s += 8;
    }
    if [
        "otp",
        "code",
        "token",
        "totp",
        "2fa",
        "mfa",
        "pin",
        "verification",
    ]
    .iter()
    .any(|w| words.contains(w))
    {
        s += 4;
    }
    if t.attr("inputmode") == Some("numeric") || matches!(input_type(t).as_str(), "tel" | "number")
    {
        s += 2;
    }
    if matches!(t.attr("maxlength"), Some("6" | "8" | "1")) {
        s += 1;
    }
    s
}

/// Whether an input is a box for a one-time code: a code word in its name,
/// id, placeholder or label, or `autocomplete="one-time-code"`, more than
/// it looks like a user box (Rails' `user[otp_attempt]` names the user too).
fn looks_like_code(t: &Tag) -> bool {
    code_score(t) >= 4 && code_score(t) > user_score(t)
}

/// The typed boxes of a form by what each is for a person: the user box,
/// the password box, the code box or boxes (one, or four to eight one-digit
/// boxes), and the others (a device name), as indexes into its `inputs`.
#[derive(Debug, Default)]
struct Boxes {
    user: Option<usize>,
    password: Option<usize>,
    code: Vec<usize>,
    others: Vec<usize>,
}

fn boxes(html: &str, form: &Form) -> Boxes {
    let typed = typed_inputs(html, form);
    let digits: Vec<&&Tag> = typed
        .iter()
        .filter(|t| t.attr("maxlength") == Some("1"))
        .collect();
    let code: Vec<&Tag> = if digits.len() >= 4 {
        digits.into_iter().copied().collect()
    } else {
        typed
            .iter()
            .copied()
            .filter(|t| looks_like_code(t))
            .collect()
    };
    let is_code = |t: &Tag| code.iter().any(|c| c.start == t.start);
    let password = typed
        .iter()
        .find(|t| input_type(t) == "password" && !is_code(t))
        .copied();
    let rest: Vec<&Tag> = typed
        .iter()
        .copied()
        .filter(|t| !is_code(t) && password.is_none_or(|p| p.start != t.start))
        .collect();
    // A form for the code alone has no user box (a device name is other).
    let user = rest
        .iter()
        .filter(|_| password.is_some() || code.is_empty())
        .filter(|t| password.is_some() || user_score(t) > 0 || rest.len() == 1)
        .max_by_key(|t| (user_score(t), -(t.start as i64)))
        .copied();
    Boxes {
        user: user.map(|t| index_of(form, t)),
        password: password.map(|t| index_of(form, t)),
        others: rest
            .iter()
            .filter(|t| user.is_none_or(|u| u.start != t.start))
            .map(|t| index_of(form, t))
            .collect(),
        code: code.iter().map(|t| index_of(form, t)).collect(),
    }
}

/// A form that is not for logging in: a search box in the layout.
fn is_search(html: &str, form: &Form) -> bool {
    form.tag.attr("role") == Some("search")
        || form
            .tag
            .attr("action")
            .is_some_and(|a| a.to_ascii_lowercase().contains("search"))
        || typed_inputs(html, form).iter().any(|t| {
            input_type(t) == "search" || matches!(t.attr("name"), Some("q" | "query" | "search"))
        })
}

/// What a page asks of the person in front of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// A form with a password box: (form, user box if any, password box,
    /// code boxes in the same form, in order: none, or the box or boxes of
    /// a login that takes the second factor with the password), as indexes
    /// into `page::forms` and each form's `inputs`.
    Password {
        form: usize,
        user: Option<usize>,
        password: usize,
        code: Vec<usize>,
    },
    /// A form asking only for who the user is (the first page of a two-step
    /// login): (form, user box).
    Identifier { form: usize, user: usize },
    /// A form for the second factor: (form, the code boxes in order, other
    /// boxes it has, such as a device name, and the user and password boxes
    /// when it asks for them again with the code).
    Code {
        form: usize,
        code: Vec<usize>,
        others: Vec<usize>,
        user: Option<usize>,
        password: Option<usize>,
    },
    /// Nothing to type into.
    Nothing,
}

/// Where a login stands, which tells an identifier box from a code box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before the password was accepted.
    Credentials,
    /// After: the page may ask for the second factor.
    SecondFactor,
}

/// What the page asks at `stage`.
pub fn ask(html: &str, stage: Stage) -> Ask {
    let forms = page::forms(html);
    let candidates = forms
        .iter()
        .enumerate()
        .filter(|(_, f)| !is_search(html, f) && !is_local_form(f));
    if stage == Stage::Credentials {
        for (i, f) in candidates.clone() {
            let b = boxes(html, f);
            if let Some(password) = b.password {
                return Ask::Password {
                    form: i,
                    user: b.user,
                    password,
                    code: b.code,
                };
            }
        }
        for (i, f) in candidates {
            if let Some(user) = boxes(html, f).user {
                return Ask::Identifier { form: i, user };
            }
        }
        return Ask::Nothing;
    }
    let mut best: Option<(i32, Ask)> = None;
    for (i, f) in candidates {
        let b = boxes(html, f);
        let (code, score, others, user, password) = if !b.code.is_empty() {
            let score = if b.code.len() >= 4 {
                10
            } else {
                b.code
                    .iter()
                    .map(|c| code_score(&f.inputs[*c]))
                    .max()
                    .unwrap_or(0)
            };
            (b.code, score, b.others, b.user, b.password)
        } else if b.password.is_some() && b.user.is_some() {
            // The login form again: it asks for no code.
            continue;
        } else {
            // No box says it is for a code: the one that looks most like it.
            let typed = typed_inputs(html, f);
            let Some(top) = typed
                .iter()
                .max_by_key(|t| (code_score(t), -(t.start as i64)))
            else {
                continue;
            };
            let others = typed
                .iter()
                .filter(|t| t.start != top.start)
                .map(|t| index_of(f, t))
                .collect();
            (vec![index_of(f, top)], code_score(top), others, None, None)
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Ask::Code {
                    form: i,
                    code,
                    others,
                    user,
                    password,
                },
            ));
        }
    }
    best.map(|(_, a)| a).unwrap_or(Ask::Nothing)
}

fn index_of(form: &Form, t: &Tag) -> usize {
    form.inputs
        .iter()
        .position(|x| x.start == t.start)
        .unwrap_or(0)
}

/// A form whose action is the user's own machine (`localhost`, `127.0.0.1`,
/// `[::1]`, http or https): the agent-port callback as a form.
pub fn is_local_form(form: &Form) -> bool {
    form.tag.attr("action").is_some_and(page::is_local_url)
}

/// The forms of a page that post to the user's machine.
pub fn local_forms(html: &str) -> Vec<Form> {
    page::forms(html)
        .into_iter()
        .filter(is_local_form)
        .collect()
}

/// The page's text as a person reads it: tags, scripts and styles out,
/// character references resolved, runs of white space one space, lower case.
pub fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        if lower[i..].starts_with("<script") || lower[i..].starts_with("<style") {
            let close = if lower[i..].starts_with("<script") {
                "</script"
            } else {
                "</style"
            };
            // Past the closing tag's `>` (its name is not text either).
            i = lower[i..]
                .find(close)
                .and_then(|p| lower[i + p..].find('>').map(|q| i + p + q + 1))
                .unwrap_or(html.len());
            out.push(' ');
            continue;
        }
        if html.as_bytes()[i] == b'<' {
            i = html[i..].find('>').map_or(html.len(), |p| i + p + 1);
            out.push(' ');
            continue;
        }
        let next = html[i..].find('<').map_or(html.len(), |p| i + p);
        out.push_str(&html[i..next]);
        i = next;
    }
    page::unescape(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether the page says the authentication succeeded in the seed's
/// English, in either of its spellings ("Authenticated Successful",
/// "Authentication Successful"), whatever markup or line breaks sit between
/// the words.
pub fn says_success(html: &str) -> bool {
    let t = text(html);
    t.contains("authentication successful") || t.contains("authenticated successful")
}

/// The text of the page's body a person sees: [`text`] without the head
/// (the title is the window's, not the page's message) and without what a
/// hidden element holds (`div#api_key.d-none`, anything `hidden`,
/// `display:none`, off screen).
pub fn visible_text(html: &str) -> String {
    let tags = page::tags(html);
    let body_start = tags.iter().find(|t| t.name == "body").map_or(0, |t| t.end);
    let mut out = String::new();
    let mut at = body_start;
    let mut hidden: Vec<(usize, usize)> = tags
        .iter()
        .filter(|t| t.start >= body_start)
        .filter(|t| hides(t) || t.attr("hidden").is_some())
        .filter(|t| !matches!(t.name.as_str(), "input" | "br" | "img" | "meta" | "link"))
        .map(|t| (t.start, element_end(html, &tags, t)))
        .collect();
    hidden.sort_unstable();
    for (start, end) in hidden {
        if start >= at {
            out.push_str(&html[at..start]);
            at = end;
        } else {
            at = at.max(end);
        }
    }
    if at < html.len() {
        out.push_str(&html[at..]);
    }
    text(&out)
}

/// Where the element opened by `open` ends: just after its matching closing
/// tag (nested ones of the same name counted), or the page's end.
fn element_end(html: &str, tags: &[Tag], open: &Tag) -> usize {
    let lower = html.to_ascii_lowercase();
    let close = format!("</{}", open.name);
    let mut depth = 1usize;
    let mut pos = open.end;
    loop {
        let next_open = tags
            .iter()
            .find(|x| x.start >= pos && x.name == open.name)
            .map(|x| (x.start, x.end));
        let Some(c) = lower[pos..].find(&close).map(|p| pos + p) else {
            return html.len();
        };
        match next_open {
            Some((s, e)) if s < c => {
                depth += 1;
                pos = e;
            }
            _ => {
                depth -= 1;
                pos = html[c..].find('>').map_or(html.len(), |p| c + p + 1);
                if depth == 0 {
                    return pos;
                }
            }
        }
    }
}

/// Why a page that holds the key does not read as the end of a successful
/// login, if it does not, in any language: it has no message a person
/// reads beside the hidden key, it asks for the password or a code again,
/// or it came with an error status (4xx, 5xx: the server says the request
/// failed).
pub fn not_a_success_page(html: &str, status: Option<u16>) -> Option<String> {
    if let Some(s) = status.filter(|s| *s >= 400) {
        return Some(format!("the page came with the error status {s}"));
    }
    if matches!(ask(html, Stage::Credentials), Ask::Password { .. }) {
        return Some("the page asks for the password again".into());
    }
    let asks_code = page::forms(html)
        .iter()
        .filter(|f| !is_search(html, f) && !is_local_form(f))
        .any(|f| !boxes(html, f).code.is_empty());
    if asks_code {
        return Some("the page asks for a two-factor code".into());
    }
    if !visible_text(html).chars().any(char::is_alphabetic) {
        return Some("the page has no message a person can read, only the hidden key".into());
    }
    None
}

/// The key of `div#api_key` (any class: the class is checked on its own).
pub fn api_key(html: &str) -> Option<String> {
    page::element_text(html, "div", "api_key").filter(|k| !k.is_empty())
}

/// Whether `div#api_key` has the class `d-none`, as the seed shows it.
pub fn api_key_div_hidden(html: &str) -> bool {
    page::tags(html)
        .iter()
        .find(|t| t.name == "div" && t.attr("id") == Some("api_key"))
        .is_some_and(|t| {
            t.attr("class")
                .unwrap_or("")
                .split_whitespace()
                .any(|c| c == "d-none")
        })
}

/// Where the page sends the browser next by itself, without script: a
/// `<meta http-equiv="refresh" content="N; url=…">` (or the `Refresh`
/// header's same value), resolved by the caller.
pub fn refresh_target(html: &str, refresh_header: Option<&str>) -> Option<String> {
    let from_meta = page::tags(html)
        .into_iter()
        .find(|t| {
            t.name == "meta"
                && t.attr("http-equiv")
                    .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
        })
        .and_then(|t| t.attr("content").map(str::to_owned));
    let content = from_meta.or_else(|| refresh_header.map(str::to_owned))?;
    let (_, rest) = content.split_once([';', ','])?;
    let rest = rest.trim();
    let url = rest
        .strip_prefix("url=")
        .or_else(|| rest.strip_prefix("URL="))
        .or_else(|| rest.strip_prefix("Url="))
        .unwrap_or(rest);
    let url = url.trim().trim_matches(['\'', '"']);
    (!url.is_empty()).then(|| url.to_owned())
}

/// Whether the page runs script (which the HTTP player does not).
pub fn has_script(html: &str) -> bool {
    page::tags(html).iter().any(|t| t.name == "script")
}

/// Whether the page's script may reach the user's machine (names localhost
/// or a loopback address): a callback the HTTP player cannot make.
pub fn script_mentions_local(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<script") {
        let body = &rest[i..];
        let end = body.find("</script").unwrap_or(body.len());
        let script = &body[..end];
        if ["localhost", "127.0.0.1", "[::1]", "agent_port"]
            .iter()
            .any(|w| script.contains(w))
        {
            return true;
        }
        rest = &body[end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_box_is_found_past_a_honeypot_and_a_search_form() {
        let html = r#"<form role="search" action="/search"><input name="q"></form>
<form action="api" method="post"><div style="position:absolute; left:-9999px"><input type="text" name="website" tabindex="-1"></div>
<input type="hidden" name="t" value="x"><input type="text" name="login"><input type="password" name="pw"><button>Go</button></form>"#;
        let Ask::Password {
            form,
            user,
            password,
            code,
        } = ask(html, Stage::Credentials)
        else {
            panic!("{:?}", ask(html, Stage::Credentials))
        };
        let f = &page::forms(html)[form];
        assert_eq!(f.inputs[user.unwrap()].attr("name"), Some("login"));
        assert_eq!(f.inputs[password].attr("name"), Some("pw"));
        assert!(code.is_empty(), "no code box in this login form");
    }

    /// Layout 3 of the 2026-12 audit: the user, the password and the code
    /// in one form; shown again, the form asks for all three, and the
    /// password box is the password's, never "other".
    #[test]
    fn a_login_form_with_the_code_box_in_it() {
        for code_box in [
            r#"<input name="code" inputmode="numeric" autocomplete="one-time-code">"#,
            r#"<input type="tel" name="user[otp_attempt]" id="otp_attempt" autocomplete="one-time-code">"#,
            r#"<input type="password" name="otp" autocomplete="one-time-code">"#,
            r#"<input name="d1" maxlength="1"><input name="d2" maxlength="1"><input name="d3" maxlength="1"><input name="d4" maxlength="1"><input name="d5" maxlength="1"><input name="d6" maxlength="1">"#,
        ] {
            let html = format!(
                r#"<form method="post"><input name="user" autocomplete="username"><input type="password" name="password" autocomplete="current-password"><input name="device_name">{code_box}<button>Sign in</button></form>"#
            );
            let f = &page::forms(&html)[0];
            let name = |i: usize| f.inputs[i].attr("name").unwrap_or("");
            let Ask::Password {
                user,
                password,
                code,
                ..
            } = ask(&html, Stage::Credentials)
            else {
                panic!("{code_box}: {:?}", ask(&html, Stage::Credentials))
            };
            assert_eq!(name(user.unwrap()), "user", "{code_box}");
            assert_eq!(name(password), "password", "{code_box}");
            assert!(!code.is_empty(), "{code_box}");
            assert!(
                code.iter()
                    .all(|c| !["user", "password", "device_name"].contains(&name(*c)))
            );
            let Ask::Code {
                code: again,
                others,
                user: u,
                password: p,
                ..
            } = ask(&html, Stage::SecondFactor)
            else {
                panic!("{code_box}: {:?}", ask(&html, Stage::SecondFactor))
            };
            assert_eq!(again, code, "{code_box}");
            assert_eq!((u, p), (user, Some(password)), "{code_box}");
            assert_eq!(
                others.iter().map(|o| name(*o)).collect::<Vec<_>>(),
                ["device_name"]
            );
        }
        // A plain login form asks for no code, even at the second factor.
        let plain = r#"<form method="post"><input name="user"><input type="password" name="password"></form>"#;
        assert_eq!(ask(plain, Stage::SecondFactor), Ask::Nothing);
    }

    /// Layout 12: the success page in another language is a success page;
    /// one with only the hidden key, the login form again, or an error
    /// status is not.
    #[test]
    fn a_success_page_in_any_language() {
        let key = r#"<div class="d-none" id="api_key">K</div>"#;
        let page = |body: &str| {
            format!(
                "<html lang=\"de\"><head><title>Erfolg</title></head><body>{body}</body></html>"
            )
        };
        let german = page(&format!("<h1>Authentifizierung erfolgreich</h1>{key}"));
        assert_eq!(not_a_success_page(&german, Some(200)), None);
        assert!(!says_success(&german));
        assert!(not_a_success_page(&page(key), Some(200)).is_some());
        // The window's title is no message on the page.
        let titled = format!(
            "<html><head><title>Authentication Successful</title></head><body>{key}</body></html>"
        );
        assert!(not_a_success_page(&titled, Some(200)).is_some());
        assert!(
            not_a_success_page(&page(&format!("<div hidden><p>Done</p></div>{key}")), None)
                .is_some()
        );
        assert!(not_a_success_page(&german, Some(500)).is_some());
        let scripted = page(&format!(
            r#"{key}<form id="cb" method="post" action="http://localhost:1/"><input type="hidden" name="api_key" value="K"></form><script>document.getElementById('cb').submit();</script>"#
        ));
        assert!(not_a_success_page(&scripted, Some(200)).is_some());
        let again = page(&format!(
            r#"<p>Falsches Passwort</p><form method="post"><input name="user"><input type="password" name="password"></form>{key}"#
        ));
        assert!(not_a_success_page(&again, Some(200)).is_some());
        let search = page(&format!(
            r#"<form role="search"><input name="q"></form><p>OK</p>{key}"#
        ));
        assert_eq!(not_a_success_page(&search, Some(200)), None);
    }

    #[test]
    fn a_two_step_login_and_code_variants() {
        let first = r#"<form method="post"><input type="email" name="user[email]"><input type="submit" name="commit" value="Next"></form>"#;
        assert!(matches!(
            ask(first, Stage::Credentials),
            Ask::Identifier { .. }
        ));
        let boxes = r#"<form action="/x" method="get" role="search"><input name="q"></form><form method="post">
<input name="d1" maxlength="1"><input name="d2" maxlength="1"><input name="d3" maxlength="1"><input name="d4" maxlength="1"><input name="d5" maxlength="1"><input name="d6" maxlength="1"></form>"#;
        let Ask::Code { code, .. } = ask(boxes, Stage::SecondFactor) else {
            panic!()
        };
        assert_eq!(code.len(), 6);
        let two = r#"<form method="post"><input name="device_name"><input name="otp" autocomplete="one-time-code"></form>"#;
        let Ask::Code { code, others, .. } = ask(two, Stage::SecondFactor) else {
            panic!()
        };
        let f = &page::forms(two)[0];
        assert_eq!(f.inputs[code[0]].attr("name"), Some("otp"));
        assert_eq!(others.len(), 1);
        let pw = r#"<form method="post"><input type="password" name="code"></form>"#;
        assert!(matches!(ask(pw, Stage::SecondFactor), Ask::Code { .. }));
    }

    #[test]
    fn success_text_through_markup_and_refresh_targets() {
        assert!(says_success("<h1>Authentication<br>Successful</h1>"));
        assert!(says_success("<p>Authenticated\n  Successful</p>"));
        assert!(!says_success(
            "<script>x='Authentication Successful'</script>"
        ));
        assert_eq!(text("a<script>s()</script>b<style>p{}</style >c"), "a b c");
        assert_eq!(
            refresh_target(
                r#"<meta http-equiv="refresh" content="0; url='done?x=1'">"#,
                None
            )
            .as_deref(),
            Some("done?x=1")
        );
        assert_eq!(
            refresh_target("", Some("1;url=/next")).as_deref(),
            Some("/next")
        );
        assert!(script_mentions_local(
            "<script>fetch('http://localhost:' + p, {})</script>"
        ));
    }
}
