//! LiquidFiles on the wire: the XML of `POST /login` (read with quick-xml,
//! written by hand: two fixed shapes) and the HTML pages of `/session/api`.
//!
//! The XML reader refuses any `<!DOCTYPE` (so no external entity and no
//! entity-expansion bomb can exist), resolves only character references and
//! the five predefined entities, and insists on exactly
//! `<user><email>…</email><password>…</password></user>`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// `application/xml`, as both the answer and its errors are sent.
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// The credentials of a `POST /login` body.
#[derive(Debug, PartialEq, Eq)]
pub struct XmlCredentials {
    pub email: String,
    pub password: String,
}

/// How lenient the reader is: only faults make it so.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlLeniency {
    /// `xml-doctype-accepted`: a DOCTYPE is skipped instead of refused.
    pub doctype: bool,
    /// `xml-raw-ampersand-accepted`: a bare `&` is taken literally.
    pub dangling_amp: bool,
    /// `xml-char-refs-not-decoded`: `&#38;` stays as the six characters.
    pub keep_char_refs: bool,
    /// `xml-hex-refs-rejected`: `&#x26;` is an error.
    pub no_hex_refs: bool,
    /// `xml-missing-password-logs-in`: a missing `<password>` reads as empty.
    pub missing_password_empty: bool,
}

/// Elements nested deeper than this are refused (the document has depth 2).
const MAX_DEPTH: usize = 8;

/// Reads `<user><email/><password/></user>`; `Err` says what is wrong.
pub fn parse_login(bytes: &[u8], leniency: XmlLeniency) -> Result<XmlCredentials, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the body is not valid UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.allow_dangling_amp = leniency.dangling_amp;
    config.expand_empty_elements = true;
    let mut stack: Vec<String> = Vec::new();
    let mut root_seen = false;
    let mut email: Option<String> = None;
    let mut password: Option<String> = None;
    let mut current: Option<String> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the XML is not well-formed: {e}"))?;
        match event {
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => {
                if !leniency.doctype {
                    return Err("a DOCTYPE is not allowed".into());
                }
            }
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match stack.len() {
                    0 if root_seen => return Err("more than one root element".into()),
                    0 if name != "user" => {
                        return Err(format!("the root element must be <user>, not <{name}>"));
                    }
                    0 => root_seen = true,
                    1 if name == "email" || name == "password" => {
                        let seen = if name == "email" { &email } else { &password };
                        if seen.is_some() {
                            return Err(format!("<{name}> is given twice"));
                        }
                        current = Some(String::new());
                    }
                    // Other elements of <user> (a client's extras) are ignored.
                    _ => {}
                }
                stack.push(name);
                if stack.len() > MAX_DEPTH {
                    return Err("the XML is nested too deeply".into());
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if stack.len() == 1 {
                    match (name.as_str(), current.take()) {
                        ("email", Some(v)) => email = Some(v),
                        ("password", Some(v)) => password = Some(v),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| format!("the XML is not well-formed: {e}"))?;
                if stack.is_empty() && !s.trim().is_empty() {
                    return Err("text outside the root element".into());
                }
                if stack.len() == 2
                    && let Some(c) = current.as_mut()
                {
                    c.push_str(&s);
                }
            }
            Event::CData(t) => {
                if stack.len() == 2
                    && let Some(c) = current.as_mut()
                {
                    c.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let raw = String::from_utf8_lossy(&r).into_owned();
                let resolved = if leniency.keep_char_refs && r.is_char_ref() {
                    format!("&{raw};")
                } else if let Some(num) = raw.strip_prefix('#') {
                    if leniency.no_hex_refs && num.starts_with(['x', 'X']) {
                        return Err(format!("&{raw}; is not allowed"));
                    }
                    let ch = r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .filter(|c| is_xml_char(*c))
                        .ok_or_else(|| format!("&{raw}; is not a valid character reference"))?;
                    ch.to_string()
                } else {
                    match raw.as_str() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        _ => return Err(format!("the entity &{raw}; is not defined")),
                    }
                };
                if stack.is_empty() {
                    return Err("text outside the root element".into());
                }
                if stack.len() == 2
                    && let Some(c) = current.as_mut()
                {
                    c.push_str(&resolved);
                }
            }
            Event::Empty(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "<{}> is not closed",
            stack.last().unwrap_or(&String::new())
        ));
    }
    if !root_seen {
        return Err("the body has no <user> element".into());
    }
    let email = email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| "<email> is required".to_owned())?;
    let password = match password {
        Some(p) if !p.is_empty() => p,
        None if leniency.missing_password_empty => String::new(),
        _ => return Err("<password> is required".into()),
    };
    Ok(XmlCredentials { email, password })
}

/// XML 1.0's Char production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for XML or HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, XML_CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The documented answer: `<user><api_key>KEY</api_key></user>`.
pub fn api_key_xml(api_key: &str, element: &str) -> Response {
    xml_response(
        StatusCode::OK,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <{element}>{}</{element}>\n</user>\n",
            escape(api_key)
        ),
    )
}

/// `<errors><error>…</error></errors>` (the catalogue's choice; undocumented).
pub fn xml_error(status: StatusCode, message: &str) -> Response {
    xml_response(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>{}</error>\n</errors>\n",
            escape(message)
        ),
    )
}

/// An HTML page, with the security headers of `liquidfiles.security-headers`.
pub struct Page {
    pub status: StatusCode,
    pub title: &'static str,
    pub body: String,
    /// The origin the page's callback posts to (`form-action`, and
    /// `connect-src` for a `fetch`), with its script's nonce.
    pub callback: Option<(String, String)>,
    /// CSP, Cache-Control, Referrer-Policy and X-Frame-Options (the
    /// reference server's choice; `liquidfiles.security-headers=none` drops them).
    pub strict_headers: bool,
    /// The nonce of another inline script of the page (an interstitial's).
    pub script_nonce: Option<String>,
    /// The page's language (`<html lang>`): `en`, `de` for a translated
    /// success page (`liquidfiles.success-text=translated`).
    pub lang: &'static str,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} - LiquidFiles</title>\n<style>.d-none{{display:none}}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            self.lang, self.title, self.body
        );
        if !self.strict_headers {
            let mut response = (self.status, html).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return response;
        }
        let fetches = self.body.contains("fetch(");
        let nonce = self
            .callback
            .as_ref()
            .map(|(_, n)| n.clone())
            .or(self.script_nonce.clone());
        let script = nonce.map_or("'none'".to_owned(), |n| format!("'nonce-{n}'"));
        let csp = match &self.callback {
            Some((origin, _)) if fetches => format!(
                "default-src 'none'; script-src {script}; style-src 'unsafe-inline'; form-action 'self' {origin}; connect-src {origin}"
            ),
            Some((origin, _)) => format!(
                "default-src 'none'; script-src {script}; style-src 'unsafe-inline'; form-action 'self' {origin}"
            ),
            None => format!(
                "default-src 'none'; script-src {script}; style-src 'unsafe-inline'; form-action 'self'"
            ),
        };
        html_response(self.status, html, &csp)
    }
}

/// An HTML page with the security headers every strict page carries (the
/// LiquidFiles pages and the embedded IdP's): `csp`, no caching, no
/// referrer, no framing.
pub fn html_response(status: StatusCode, html: String, csp: &str) -> Response {
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// A page with a message and no form.
pub fn error_page(status: StatusCode, message: &str) -> Page {
    Page {
        status,
        title: "Error",
        body: format!(
            "<h1>Authentication failed</h1>\n{}<p><a href=\"api\">Start again</a></p>\n",
            super::pages::message_html(Some(message))
        ),
        callback: None,
        strict_headers: true,
        script_nonce: None,
        lang: "en",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<XmlCredentials, String> {
        parse_login(s.as_bytes(), XmlLeniency::default())
    }

    #[test]
    fn the_seed_example_and_escapes() {
        let c = parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>user@example.com</email>\n  <password>password</password>\n</user>").unwrap();
        assert_eq!(c.email, "user@example.com");
        assert_eq!(c.password, "password");
        let c =
            parse("<user><email>a</email><password>aBcD0123&#38;&#36;</password></user>").unwrap();
        assert_eq!(c.password, "aBcD0123&$");
        let c =
            parse("<user><email>a</email><password>aBcD0123&#x26;$&lt;</password></user>").unwrap();
        assert_eq!(c.password, "aBcD0123&$<");
    }

    #[test]
    fn hostile_documents_are_refused() {
        for bad in [
            "<user><email>a</email><password>a&b</password></user>",
            "<user><email>a</email><password>a&$</password></user>",
            "<!DOCTYPE user [<!ENTITY x \"y\">]><user><email>a</email><password>&x;</password></user>",
            "<!DOCTYPE user SYSTEM \"http://example.com/x.dtd\"><user><email>a</email><password>p</password></user>",
            "<user><email>a</email><password>p</password>",
            "<user><email>a</email></user>",
            "<login><email>a</email><password>p</password></login>",
            "<user><email>a</email><password>p</pass></user>",
            "<user><email>a</email><password>&#0;</password></user>",
            "<user><email>a</email><password>&#1;</password></user>",
            "<user><email>a</email><password>&#xD800;</password></user>",
            "<user><email>a</email><password>p</password></user><user/>",
            "",
            "not xml",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
