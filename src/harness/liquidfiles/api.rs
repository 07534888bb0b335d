//! The LiquidFiles calls the steps make, as the documentation describes them,
//! and the reading of the HTML pages a browser would see. No assertions.
//! Paths are relative to the root of the installation.
//!
//! HTML is read with a small targeted scanner (tags, attributes, the text of
//! one element) rather than an HTML5 parser crate: the contract is a handful
//! of elements found by id and name, and a full parser would add a large
//! dependency tree for that. The scanner never panics on any input; what it
//! cannot find is `None`, and the step says what was missing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;

use crate::harness::exchange::Call;

pub const LOGIN: &str = "/login";
pub const SESSION_API: &str = "/session/api";
/// The spec's `@ext` probe operation; the target's `liquidfiles.probe_path` is where it goes.
pub const ACCOUNT: &str = "/account";

/// How a password is written into the XML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escaping {
    /// Every character outside [A-Za-z0-9] as `&#NN;` (the documentation's way).
    Decimal,
    /// Every character outside [A-Za-z0-9] as `&#xNN;`.
    Hex,
    /// Only what XML requires (`&`, `<`), everything else literal.
    Minimal,
    /// As it is: a raw `&` makes the document not well-formed.
    Raw,
}

pub fn escape_password(password: &str, escaping: Escaping) -> String {
    let mut out = String::new();
    for c in password.chars() {
        match escaping {
            _ if c.is_ascii_alphanumeric() => out.push(c),
            Escaping::Decimal => out.push_str(&format!("&#{};", c as u32)),
            Escaping::Hex => out.push_str(&format!("&#x{:x};", c as u32)),
            Escaping::Minimal => match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                c => out.push(c),
            },
            Escaping::Raw => out.push(c),
        }
    }
    out
}

/// The documented request body, with the password already escaped.
pub fn login_document(email: &str, escaped_password: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{}</email>\n  <password>{escaped_password}</password>\n</user>\n",
        escape_password(email, Escaping::Minimal)
    )
}

/// `POST /login` with `document` as `content_type` (the seed sends text/xml).
pub fn xml_login(document: &str, content_type: &str) -> Call {
    Call::new(Method::POST, LOGIN).raw(content_type, document.as_bytes().to_vec())
}

/// `GET /session/api` with these query parameters.
pub fn login_page(query: &[(&str, &str)]) -> Call {
    let mut call = Call::new(Method::GET, SESSION_API);
    for (k, v) in query {
        call = call.query(k, v);
    }
    call
}

/// The `@ext` probe with the key as the HTTP Basic user name.
pub fn account(probe_path: &str, api_key: &str) -> Call {
    Call::new(Method::GET, ACCOUNT).path(probe_path).header(
        "Authorization",
        &format!("Basic {}", STANDARD.encode(format!("{api_key}:"))),
    )
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

/// Every start tag of `html`, in order. Comments are skipped.
pub fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
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

    /// The fields a browser submits: every named input with its value, then
    /// the given values in place of (or besides) those.
    pub fn fields(&self, given: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .inputs
            .iter()
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
}

/// The form with `id`, with the inputs and buttons up to its `</form>`.
pub fn form(html: &str, id: &str) -> Option<Form> {
    let all = tags(html);
    let tag = all
        .iter()
        .find(|t| t.name == "form" && t.attr("id") == Some(id))?
        .clone();
    let close = html[tag.end..]
        .to_ascii_lowercase()
        .find("</form")
        .map_or(html.len(), |p| tag.end + p);
    let inside = |t: &&Tag| t.start >= tag.end && t.start < close;
    Some(Form {
        inputs: all
            .iter()
            .filter(inside)
            .filter(|t| t.name == "input")
            .cloned()
            .collect(),
        buttons: all
            .iter()
            .filter(inside)
            .filter(|t| t.name == "button")
            .cloned()
            .collect(),
        tag,
    })
}

/// The unescaped, trimmed text of the element with `id` (up to its closing tag).
pub fn element_text(html: &str, tag_name: &str, id: &str) -> Option<String> {
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
        let end = after.find(';').filter(|e| *e <= 10);
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
    fn escapings() {
        assert_eq!(
            escape_password("aBcD0123&$", Escaping::Decimal),
            "aBcD0123&#38;&#36;"
        );
        assert_eq!(escape_password("a&$", Escaping::Hex), "a&#x26;&#x24;");
        assert_eq!(escape_password("a&$<", Escaping::Minimal), "a&amp;$&lt;");
    }

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
        for junk in ["<", "<a", "<a b='", "<a b=\"x", "&#xFFFFFFFF;", "<a =>"] {
            let _ = tags(junk);
            let _ = unescape(junk);
        }
    }
}
