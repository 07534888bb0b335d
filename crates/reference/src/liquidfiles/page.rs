//! Reading the LiquidFiles pages and XML as a client sees them: a small
//! targeted HTML scanner (tags, attributes, the text of one element) and the
//! `<api_key>` of an XML answer. Shared by the conformance steps
//! (`harness/liquidfiles/api.rs`) and the mock's browser stand-in
//! (`mock/liquidfiles.rs`), which is built without the harness.
//!
//! Not an HTML5 parser: the contract is a handful of elements found by id and
//! name, and a full parser would add a large dependency tree for that. The
//! scanner never panics on any input; what it cannot find is `None`.

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

/// Every form of a page, each with the inputs and buttons up to its `</form>`.
pub fn forms(html: &str) -> Vec<Form> {
    let all = tags(html);
    all.iter()
        .filter(|t| t.name == "form")
        .map(|t| form_of(html, &all, t))
        .collect()
}

fn form_of(html: &str, all: &[Tag], tag: &Tag) -> Form {
    let close = html[tag.end..]
        .to_ascii_lowercase()
        .find("</form")
        .map_or(html.len(), |p| tag.end + p);
    let inside = |t: &&Tag| t.start >= tag.end && t.start < close;
    Form {
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
    let all = tags(html);
    let tag = all
        .iter()
        .find(|t| t.name == "form" && t.attr("id") == Some(id))?;
    Some(form_of(html, &all, tag))
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
}
