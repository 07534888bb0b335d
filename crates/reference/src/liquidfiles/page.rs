//! Reading the LiquidFiles pages and XML as a client sees them: a small
//! targeted HTML scanner (tags, attributes, the text of one element) and the
//! `<api_key>` of an XML answer. Shared by the conformance steps
//! (`harness/liquidfiles/api.rs`) and the mock's browser stand-in
//! (`mock/liquidfiles.rs`), which is built without the harness.
//!
//! Not an HTML5 parser: the contract is a handful of elements found by id and
//! name, and a full parser would add a large dependency tree for that. The
//! scanner never panics on any input; what it cannot find is `None`.
//!
//! A page comes from a server nobody vouches for, so the scanner is linear in
//! the page and bounded: it reads the first [`MAX_SCANNED_BYTES`] of a page,
//! at most [`MAX_TAGS`] tags, the first [`MAX_FORMS`] forms and
//! [`MAX_CONTROLS`] controls in each (a LiquidFiles page has a few of each;
//! the 2026-12 audit's page of 100,000 forms stalled the old scanner for
//! minutes). [`over_limits`] says when a page goes beyond them.

/// Bytes of a page that are read; the rest is ignored.
pub const MAX_SCANNED_BYTES: usize = 1 << 20;
/// Start tags read from a page.
pub const MAX_TAGS: usize = 50_000;
/// Forms read from a page.
pub const MAX_FORMS: usize = 64;
/// Inputs and buttons read from a form.
pub const MAX_CONTROLS: usize = 1_000;

/// The part of `html` that is read: its first [`MAX_SCANNED_BYTES`], cut at
/// a character boundary.
fn scanned(html: &str) -> &str {
    if html.len() <= MAX_SCANNED_BYTES {
        return html;
    }
    let mut end = MAX_SCANNED_BYTES;
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    &html[..end]
}

/// Why only part of `html` is read, if it is: its size, its tags, its forms.
pub fn over_limits(html: &str) -> Option<String> {
    if html.len() > MAX_SCANNED_BYTES {
        return Some(format!(
            "the page has {} bytes; only the first {MAX_SCANNED_BYTES} are read",
            html.len()
        ));
    }
    let all = tags(html);
    if all.len() >= MAX_TAGS {
        return Some(format!(
            "the page has more than {MAX_TAGS} tags; only the first {MAX_TAGS} are read"
        ));
    }
    let forms = all.iter().filter(|t| t.name == "form").count();
    (forms > MAX_FORMS)
        .then(|| format!("the page has {forms} forms; only the first {MAX_FORMS} are read"))
}

/// The text of the first `<name>` element of an XML document (`api_key`),
/// unescaped; `None` when there is none.
pub fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(xml[start..end].trim()))
}

/// One start tag of an HTML page.
#[derive(Clone, Debug)]
pub struct Tag {
    pub name: String,
    attrs: Vec<(String, String)>,
    /// Byte offsets of the tag's `<` and just after its `>`.
    pub start: usize,
    pub end: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of `html`, in order (the first [`MAX_TAGS`] of its first
/// [`MAX_SCANNED_BYTES`]). Comments are skipped.
pub fn tags(html: &str) -> Vec<Tag> {
    let html = scanned(html);
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < MAX_TAGS
        && let Some(off) = html[i..].find('<')
    {
        let start = i + off;
        if html[start..].starts_with("<!--") {
            i = html[start..].find("-->").map_or(b.len(), |e| start + e + 3);
            continue;
        }
        let mut j = start + 1;
        if j >= b.len() || !b[j].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let name = html[start + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let k0 = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !b"=>/".contains(&b[j]) {
                j += 1;
            }
            let key = html[k0..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let v0 = j + 1;
                    let v1 = b[v0..]
                        .iter()
                        .position(|c| *c == q)
                        .map_or(b.len(), |p| v0 + p);
                    value = unescape(&html[v0..v1]);
                    j = (v1 + 1).min(b.len());
                } else {
                    let v0 = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = unescape(&html[v0..j]);
                }
            }
            if key.is_empty() {
                j += 1;
            } else {
                attrs.push((key, value));
            }
        }
        let end = (j + 1).min(b.len());
        out.push(Tag {
            name,
            attrs,
            start,
            end,
        });
        i = end;
    }
    out
}

/// A form of a page: its attributes and the controls inside it.
#[derive(Clone, Debug)]
pub struct Form {
    pub tag: Tag,
    pub inputs: Vec<Tag>,
    pub buttons: Vec<Tag>,
}

impl Form {
    pub fn input(&self, name: &str) -> Option<&Tag> {
        self.inputs.iter().find(|t| t.attr("name") == Some(name))
    }

    /// The fields a browser submits: every named input with its value (but
    /// for unticked boxes and the buttons not pressed), then the given values
    /// in place of (or besides) those.
    pub fn fields(&self, given: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .inputs
            .iter()
            .filter(|t| match input_type(t).as_str() {
                "checkbox" | "radio" => t.attr("checked").is_some(),
                "submit" | "image" | "reset" | "button" | "file" => false,
                _ => true,
            })
            .filter_map(|t| {
                Some((
                    t.attr("name")?.to_owned(),
                    t.attr("value").unwrap_or("").to_owned(),
                ))
            })
            .filter(|(k, _)| !given.iter().any(|(g, _)| g == k))
            .collect();
        out.extend(
            given
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        out
    }

    /// The password input, if the form has one.
    pub fn password_input(&self) -> Option<&Tag> {
        self.inputs.iter().find(|t| input_type(t) == "password")
    }

    /// The named inputs a user types a line into (text, email, number, tel,
    /// search; an input without a type is text), in page order.
    pub fn text_inputs(&self) -> Vec<&Tag> {
        self.inputs
            .iter()
            .filter(|t| t.attr("name").is_some())
            .filter(|t| {
                matches!(
                    input_type(t).as_str(),
                    "text" | "email" | "number" | "tel" | "search"
                )
            })
            .collect()
    }
}

/// An input's type, lower-cased; `text` when absent (as browsers read it).
fn input_type(t: &Tag) -> String {
    t.attr("type")
        .map(str::to_ascii_lowercase)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "text".to_owned())
}

/// The forms of a page (the first [`MAX_FORMS`]), each with the inputs and
/// buttons up to its `</form>` (the first [`MAX_CONTROLS`]).
pub fn forms(html: &str) -> Vec<Form> {
    let html = scanned(html);
    let all = tags(html);
    let closes = closing_tags(html, "form");
    all.iter()
        .enumerate()
        .filter(|(_, t)| t.name == "form")
        .take(MAX_FORMS)
        .map(|(i, _)| form_at(html.len(), &all, i, &closes))
        .collect()
}

/// Where each `</name` of `html` starts, in order, found in one pass.
fn closing_tags(html: &str, name: &str) -> Vec<usize> {
    let needle = format!("</{name}");
    html.to_ascii_lowercase()
        .match_indices(&needle)
        .map(|(at, _)| at)
        .collect()
}

/// The form whose tag is `all[i]`: the controls after it, up to the first
/// closing tag in `closes` after it (the page's end without one). The walk
/// stops at that closing tag or at [`MAX_CONTROLS`], so reading every form
/// costs at most [`MAX_FORMS`] passes over the tags.
fn form_at(len: usize, all: &[Tag], i: usize, closes: &[usize]) -> Form {
    let tag = &all[i];
    let at = closes.partition_point(|c| *c < tag.end);
    let close = closes.get(at).copied().unwrap_or(len);
    let mut inputs = Vec::new();
    let mut buttons = Vec::new();
    for t in all[i + 1..].iter().take_while(|t| t.start < close) {
        if inputs.len() + buttons.len() >= MAX_CONTROLS {
            break;
        }
        match t.name.as_str() {
            "input" => inputs.push(t.clone()),
            "button" => buttons.push(t.clone()),
            _ => {}
        }
    }
    Form {
        inputs,
        buttons,
        tag: tag.clone(),
    }
}

/// The sign-in form, found as a browser user finds it whatever its markup:
/// the form with a password input and another line to type the user into.
pub fn login_form(html: &str) -> Option<Form> {
    forms(html)
        .into_iter()
        .find(|f| f.password_input().is_some() && !f.text_inputs().is_empty())
}

/// The user name field of a [`login_form`]: its first text or email input.
pub fn user_input(form: &Form) -> Option<&Tag> {
    form.text_inputs().into_iter().next()
}

/// The second-factor form: no password, exactly one line to type the code
/// into (hidden inputs and buttons aside).
pub fn code_form(html: &str) -> Option<Form> {
    forms(html)
        .into_iter()
        .find(|f| f.password_input().is_none() && f.text_inputs().len() == 1)
}

/// The forms that post to the user's own machine (`localhost`, `127.0.0.1`,
/// `[::1]`): the agent-port callback, whatever the form is called. The host
/// is read by hand, so an action a URL parser refuses (`localhost:abc`,
/// `localhost:65536`) still counts.
pub fn local_forms(html: &str) -> Vec<Form> {
    forms(html)
        .into_iter()
        .filter(|f| f.tag.attr("action").is_some_and(is_local_url))
        .collect()
}

pub fn is_local_url(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    let Some(rest) = ["http://", "https://", "//"]
        .iter()
        .find_map(|p| a.strip_prefix(p))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or("").to_owned()
    };
    matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

/// The form with `id`, with the inputs and buttons up to its `</form>`.
pub fn form(html: &str, id: &str) -> Option<Form> {
    let html = scanned(html);
    let all = tags(html);
    let i = all
        .iter()
        .position(|t| t.name == "form" && t.attr("id") == Some(id))?;
    Some(form_at(html.len(), &all, i, &closing_tags(html, "form")))
}

/// The unescaped, trimmed text of the element with `id` (up to its closing tag).
pub fn element_text(html: &str, tag_name: &str, id: &str) -> Option<String> {
    let html = scanned(html);
    let t = tags(html)
        .into_iter()
        .find(|t| t.name == tag_name && t.attr("id") == Some(id))?;
    let close = html[t.end..]
        .to_ascii_lowercase()
        .find(&format!("</{tag_name}"))
        .map_or(html.len(), |p| t.end + p);
    Some(unescape(html[t.end..close].trim()))
}

/// The element with `id`, if any (any tag).
pub fn element(html: &str, id: &str) -> Option<Tag> {
    tags(html).into_iter().find(|t| t.attr("id") == Some(id))
}

/// The page with the values of hidden inputs blanked: two refusals compare
/// equal when only their per-login ids differ.
pub fn without_hidden_values(html: &str) -> String {
    let html = scanned(html);
    let mut out = String::new();
    let mut last = 0;
    for t in tags(html) {
        if t.name == "input" && t.attr("type") == Some("hidden") {
            out.push_str(&html[last..t.start]);
            out.push_str("<input type=hidden>");
            last = t.end;
        }
    }
    out.push_str(&html[last..]);
    out
}

/// Resolves HTML/XML character references and the common named entities.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // A reference is short: look no further than 10 bytes for its `;`
        // (searching the whole rest for each `&` would be quadratic).
        let end = after.bytes().take(11).position(|c| c == b';');
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let n = name.strip_prefix('#')?;
                    let v = match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(v)
                }
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_elements() {
        let html = r#"<form id="login" method="post" action="api"><input type="hidden" name="login_id" value="a&amp;b"><input name=user><button type="submit" id="sign_in">x</button></form><div class="d-none" id="api_key"> K1 </div><!-- <form id="x"> -->"#;
        let f = form(html, "login").unwrap();
        assert_eq!(f.tag.attr("action"), Some("api"));
        assert_eq!(f.input("login_id").unwrap().attr("value"), Some("a&b"));
        assert!(f.input("user").is_some());
        assert_eq!(f.buttons[0].attr("id"), Some("sign_in"));
        assert_eq!(element_text(html, "div", "api_key").as_deref(), Some("K1"));
        assert!(form(html, "x").is_none());
        assert_eq!(
            f.fields(&[("user", "u")]),
            vec![
                ("login_id".into(), "a&b".into()),
                ("user".into(), "u".into())
            ]
        );
        let variant = r#"<form id="new_user" action="api" method="post"><input type="hidden" name="authenticity_token" value="t"><input type="email" name="user[email]"><input type="password" name="user[password]"><input type="checkbox" name="user[remember_me]" value="1"><input type="submit" name="commit" value="Log in"></form><form name="agent" method="POST" action="http://localhost:80x"><input type="hidden" name="api_key" value="K"></form>"#;
        let login = login_form(variant).unwrap();
        assert_eq!(
            user_input(&login).unwrap().attr("name"),
            Some("user[email]")
        );
        assert_eq!(
            login.fields(&[("user[email]", "u"), ("user[password]", "p")]),
            vec![
                ("authenticity_token".into(), "t".into()),
                ("user[email]".into(), "u".into()),
                ("user[password]".into(), "p".into())
            ]
        );
        assert!(code_form(variant).is_none());
        assert_eq!(local_forms(variant).len(), 1);
        assert!(local_forms(html).is_empty());
        let otp = r#"<form action="two_factor" method="post"><input type="hidden" name="t" value="x"><input type="tel" name="user[otp_attempt]"><input type="submit" name="commit"></form>"#;
        assert_eq!(code_form(otp).unwrap().text_inputs().len(), 1);
        for junk in ["<", "<a", "<a b='", "<a b=\"x", "&#xFFFFFFFF;", "<a =>"] {
            let _ = tags(junk);
            let _ = unescape(junk);
        }
    }

    #[test]
    fn a_form_ends_at_its_own_closing_tag_in_any_case() {
        let html = r#"<form id=a><input name=x></FORM><input name=outside><form id=b><button id=go></button><input name=y>"#;
        let all = forms(html);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].inputs.len(), 1);
        assert!(all[0].input("outside").is_none());
        assert_eq!(all[1].buttons.len(), 1);
        assert!(all[1].input("y").is_some(), "no </form>: up to the end");
        assert!(over_limits(html).is_none());
    }

    /// R2 of the 2026-12 audit: 100,000 forms took the old scanner over ten
    /// minutes. Bounded now: the caps hold and the answer is prompt (the
    /// speed itself is measured by `bench/attack.sh`).
    #[test]
    fn a_page_of_many_forms_is_read_within_the_caps() {
        let one = r#"<form method="post" action="api"><input type="hidden" name="login_id" value="x"><input name="user"><input type="password" name="password"><button>Sign in</button></form>"#;
        let html = one.repeat(100_000);
        assert!(html.len() > MAX_SCANNED_BYTES);
        let found = forms(&html);
        assert_eq!(found.len(), MAX_FORMS);
        assert!(found.iter().all(|f| f.inputs.len() == 3));
        assert!(login_form(&html).is_some());
        assert!(over_limits(&html).unwrap().contains("bytes"));
        let small = one.repeat(100);
        assert!(over_limits(&small).unwrap().contains("100 forms"));
        // Unclosed forms, each holding every later control, stop at the caps.
        let unclosed = "<form><input name=a>".repeat(40_000);
        let found = forms(&unclosed);
        assert_eq!(found.len(), MAX_FORMS);
        assert!(found.iter().all(|f| f.inputs.len() <= MAX_CONTROLS));
        assert_eq!(tags(&"<b>".repeat(MAX_TAGS + 5)).len(), MAX_TAGS);
        let ampersands = "&".repeat(256 * 1024);
        assert_eq!(unescape(&ampersands), ampersands);
        assert_eq!(unescape("&amp;&#x41;&#66;&bogus"), "&AB&bogus");
    }
}
