//! SAML 2.0 Web Browser SSO, both sides, for LiquidFiles' `/saml/api`
//! (seed 000: "the browser will be redirected to the SAML server for the user
//! to complete the authentication"):
//!
//! - `message.rs`: the two messages: the SP's `<AuthnRequest>` (built, and
//!   read by the IdP) and the IdP's `<Response>` (built from a
//!   [`message::ResponseSpec`], whose knobs also mint the bad responses the
//!   harness sends; read by the SP in `liquidfiles/saml.rs`);
//! - `dsig.rs`: XML signatures through `bergshamra-dsig`;
//! - `idp.rs`: the embedded test identity provider (metadata, SSO endpoint,
//!   its own login form), in `authconform serve` at `/idp` and alone in
//!   `authconform idp`.
//!
//! The bindings: the AuthnRequest travels by HTTP-Redirect (SAML Bindings
//! §3.4: DEFLATE, base64, a query parameter), the Response by HTTP-POST
//! (§3.5: base64 in a form the browser posts, by script, or by a button
//! without it).

pub mod dsig;
pub mod idp;
pub mod message;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::clock::UnixSeconds;

pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";

/// The embedded IdP's entity ID unless configured otherwise.
pub const DEFAULT_IDP_ENTITY_ID: &str = "urn:authconform:test-idp";

/// Bindings §3.4.3 and §3.5.3: "the value MUST NOT exceed 80 bytes".
pub const MAX_RELAY_STATE: usize = 80;

/// The largest SAML message accepted after decoding (a Response with one
/// signed assertion is ~5 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A new message or assertion ID: 160 random bits, `_`-prefixed so it is an
/// `xs:ID` (SAML Core §1.3.4: IDs are unique and unguessable).
pub fn new_id() -> String {
    let token = crate::secret::Token::generate();
    format!("_{}", token.as_str().replace(['-', '+', '/', '='], "x"))
}

/// An `xs:dateTime` in UTC with `Z` (SAML Core §1.3.3).
pub fn instant(t: UnixSeconds) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Reads an `xs:dateTime` with a zone (`Z` or an offset; fractions allowed),
/// to whole seconds (rounded down).
pub fn parse_instant(text: &str) -> Option<UnixSeconds> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

/// HTTP-Redirect encoding (Bindings §3.4.4.1): DEFLATE (RFC 1951, no zlib
/// header), then base64; the caller URL-encodes it into the query.
pub fn deflate_base64(xml: &str) -> String {
    STANDARD.encode(miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6))
}

/// The reverse of [`deflate_base64`], bounded: a message that inflates past
/// [`MAX_MESSAGE_BYTES`] is refused (no inflation bomb).
pub fn inflate_base64(encoded: &str) -> Result<String, String> {
    let compressed = STANDARD
        .decode(encoded.trim())
        .map_err(|_| "SAMLRequest is not base64".to_owned())?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, MAX_MESSAGE_BYTES)
        .map_err(|_| "SAMLRequest is not DEFLATE data of at most 64 KiB".to_owned())?;
    String::from_utf8(raw).map_err(|_| "SAMLRequest is not UTF-8".to_owned())
}

/// HTTP-POST encoding (Bindings §3.5.4): plain base64 of the XML.
pub fn post_base64(xml: &str) -> String {
    STANDARD.encode(xml.as_bytes())
}

/// Reads an HTTP-POST `SAMLResponse` value (whitespace, as some IdPs wrap
/// lines, is ignored).
pub fn read_post_base64(value: &str) -> Result<String, String> {
    let cleaned: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let raw = STANDARD
        .decode(cleaned)
        .map_err(|_| "SAMLResponse is not base64".to_owned())?;
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err("SAMLResponse is larger than 64 KiB".to_owned());
    }
    String::from_utf8(raw).map_err(|_| "SAMLResponse is not UTF-8".to_owned())
}

/// Parses a SAML message for reading: no DTD (a SAML message has none; it
/// would allow entity tricks), well-formed, bounded depth.
pub fn parse_message(xml: &str) -> Result<uppsala::Document<'_>, String> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err("the message has a DTD".to_owned());
    }
    uppsala::Parser::new()
        .with_max_depth(64)
        .parse(xml)
        .map_err(|e| format!("the message is not well-formed XML: {e}"))
}

/// The first child element of `node` named `local` in namespace `ns`.
pub fn child(
    doc: &uppsala::Document<'_>,
    node: uppsala::NodeId,
    ns: &str,
    local: &str,
) -> Option<uppsala::NodeId> {
    doc.children(node).into_iter().find(|c| {
        doc.element(*c)
            .is_some_and(|e| e.matches_name_ns(ns, local))
    })
}

/// Every child element of `node` named `local` in namespace `ns`.
pub fn children(
    doc: &uppsala::Document<'_>,
    node: uppsala::NodeId,
    ns: &str,
    local: &str,
) -> Vec<uppsala::NodeId> {
    doc.children(node)
        .into_iter()
        .filter(|c| {
            doc.element(*c)
                .is_some_and(|e| e.matches_name_ns(ns, local))
        })
        .collect()
}

/// The trimmed text of an element.
pub fn text(doc: &uppsala::Document<'_>, node: uppsala::NodeId) -> String {
    doc.text_content_deep(node).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_codecs() {
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_instant("2026-12-05T10:00:00Z"), Some(1_796_464_800));
        assert_eq!(
            parse_instant("2026-12-05T10:00:00.999Z"),
            Some(1_796_464_800)
        );
        assert_eq!(
            parse_instant("2026-12-05T11:00:00+01:00"),
            Some(1_796_464_800)
        );
        assert_eq!(parse_instant("2026-12-05T10:00:00"), None);
        let xml = "<samlp:AuthnRequest ID=\"_1\"/>";
        assert_eq!(inflate_base64(&deflate_base64(xml)).unwrap(), xml);
        assert!(inflate_base64("not base64!").is_err());
        let bomb = STANDARD.encode(miniz_oxide::deflate::compress_to_vec(
            &vec![b'a'; 1 << 20],
            9,
        ));
        assert!(inflate_base64(&bomb).is_err());
        assert_eq!(read_post_base64(&post_base64(xml)).unwrap(), xml);
        assert!(new_id().starts_with('_') && new_id() != new_id());
        assert!(parse_message("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").is_err());
    }
}
