//! XML-DSig for SAML through `bergshamra-dsig` (the README says why that
//! library): enveloped RSA-SHA256 signatures with exclusive canonicalisation,
//! as SAML Core §5.4 profiles them, and their verification against one
//! trusted certificate.
//!
//! Nothing here canonicalises or signs by hand: the library fills a signature
//! template and verifies a parsed document. What this module adds is the SAML
//! policy around it: only the configured certificate is trusted (never a key
//! the message carries in `<ds:KeyInfo>`), a reference must be a same-document
//! `#ID` (SAML Core §5.4.2), and the caller learns *which elements* the valid
//! signatures cover, so it reads only those (signature wrapping).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bergshamra_dsig::DsigContext;
use bergshamra_dsig::verify::VerifyResult;
use bergshamra_keys::{Key, KeysManager, loader};
use uppsala::{Document, NodeId};

/// `http://www.w3.org/2000/09/xmldsig#`
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The built-in IdP key pair: a **public test key** (its private half is in
/// this repository), for the reference server and the harness. A deployment
/// checked with `authconform idp` should be given its own (`--key`, `--cert`).
const BUILTIN_KEY: &str = include_str!("../../../../fixtures/saml/idp-key.pem");
const BUILTIN_CERT: &str = include_str!("../../../../fixtures/saml/idp-cert.pem");
/// A second test key pair, trusted by nobody: what a forger signs with.
const OTHER_KEY: &str = include_str!("../../../../fixtures/saml/other-key.pem");
const OTHER_CERT: &str = include_str!("../../../../fixtures/saml/other-cert.pem");

/// A private key and its certificate: what an IdP signs with.
#[derive(Clone)]
pub struct SigningKey {
    key: Key,
    cert: Certificate,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself (bergshamra's own Debug prints it).
        f.debug_struct("SigningKey")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

/// An X.509 certificate (PEM in, DER kept).
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Certificate({} bytes)", self.der.len())
    }
}

impl Certificate {
    pub fn from_pem(pem: &str) -> Result<Certificate, String> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|e| format!("the certificate is not PEM: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("expected a PEM CERTIFICATE, found a PEM {label}"));
        }
        // Parse it now, so a bad certificate fails at load and not at the first login.
        loader::load_x509_cert_der(&der).map_err(|e| format!("the certificate: {e}"))?;
        Ok(Certificate { der })
    }

    /// The certificate as a `<ds:X509Certificate>` or metadata carries it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The certificate in PEM, as `xmlsec1 --pubkey-cert-pem` and most SPs read it.
    pub fn to_pem(&self) -> String {
        let b64 = self.to_base64();
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// Reads a `<ds:X509Certificate>` value (base64, whitespace allowed).
    pub fn from_base64(text: &str) -> Result<Certificate, String> {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD
            .decode(cleaned)
            .map_err(|e| format!("the certificate is not base64: {e}"))?;
        loader::load_x509_cert_der(&der).map_err(|e| format!("the certificate: {e}"))?;
        Ok(Certificate { der })
    }

    fn verifying_key(&self) -> Result<Key, String> {
        loader::load_x509_cert_der(&self.der).map_err(|e| e.to_string())
    }
}

impl SigningKey {
    /// A PEM private key (PKCS#8 or PKCS#1 RSA) and its PEM certificate.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<SigningKey, String> {
        let cert = Certificate::from_pem(cert_pem)?;
        let mut key = loader::load_rsa_private_pem(key_pem.as_bytes())
            .map_err(|e| format!("the private key: {e}"))?;
        key.x509_chain = vec![cert.der.clone()];
        Ok(SigningKey { key, cert })
    }

    /// The built-in test IdP key (public: for tests and the reference server).
    pub fn builtin() -> SigningKey {
        SigningKey::from_pem(BUILTIN_KEY, BUILTIN_CERT).expect("the built-in IdP key loads")
    }

    /// A key no SP trusts, with a certificate of the same subject as the
    /// built-in one: what a forger signs with.
    pub fn untrusted() -> SigningKey {
        SigningKey::from_pem(OTHER_KEY, OTHER_CERT).expect("the built-in other key loads")
    }

    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Fills the first `<ds:Signature>` template of `xml` (see
    /// [`signature_template`]): digests the element it references and signs.
    pub fn sign(&self, xml: &str) -> Result<String, String> {
        let mut manager = KeysManager::new();
        manager.add_key(self.key.clone());
        let ctx = DsigContext::new(manager);
        bergshamra_dsig::sign::sign(&ctx, xml).map_err(|e| format!("signing failed: {e}"))
    }
}

/// An enveloped signature template for the element whose `ID` is `id`: RSA-SHA256,
/// SHA-256 digest, exclusive C14N (SAML Core §5.4.1-§5.4.4), the signer's
/// certificate in `<ds:KeyInfo>` (§5.4.5). It goes right after the signed
/// element's `<saml:Issuer>`, where the schema puts it.
pub fn signature_template(id: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
<ds:Reference URI=\"#{id}\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
</ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>\
<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
    )
}

/// How signatures are checked: the SP's policy, and the faults that break it.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyPolicy {
    /// `saml-keyinfo-trusted`: a key the message carries in `<ds:KeyInfo>` is
    /// trusted instead of the configured certificate.
    pub trust_keyinfo: bool,
}

/// The elements of `doc` that a valid signature by `trusted` covers: each
/// signature's one reference, resolved to its element (SAML Core §5.4.2: a
/// single same-document reference to the signed element's `ID`). A signature
/// that does not verify covers nothing. Never an error: a message whose
/// signatures are all bad simply has no signed element.
pub fn signed_elements(
    doc: &Document<'_>,
    source: &str,
    trusted: &Certificate,
    policy: VerifyPolicy,
) -> Vec<NodeId> {
    // Only same-document references: the library would otherwise read a
    // relative file for `URI="name"` (§5.4.2 allows nothing but `#ID`).
    for node in doc.descendants(doc.root()) {
        if let Some(e) = doc.element(node)
            && e.matches_name_ns(DSIG_NS, "Reference")
            && !e.get_attribute("URI").is_some_and(|u| u.starts_with('#'))
        {
            return Vec::new();
        }
    }
    let mut manager = KeysManager::new();
    match trusted.verifying_key() {
        Ok(key) => manager.add_key(key),
        Err(_) => return Vec::new(),
    }
    let ctx = if policy.trust_keyinfo {
        // The fault: whatever certificate the message carries, unvalidated.
        DsigContext::new(KeysManager::new()).with_trusted_keys_only(false)
    } else {
        DsigContext::new(manager)
    };
    let Ok(results) =
        bergshamra_dsig::verify::verify_all_document_with_source(&ctx, doc, Some(source))
    else {
        return Vec::new();
    };
    results
        .into_iter()
        .filter_map(|r| match r {
            VerifyResult::Valid { references, .. } if references.len() == 1 => {
                references[0].resolved_node
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_with(id: &str, body: &str) -> String {
        format!(
            "<r:Root xmlns:r=\"urn:t\" ID=\"{id}\"><r:Issuer>i</r:Issuer>{}<r:Body>{body}</r:Body></r:Root>",
            signature_template(id)
        )
    }

    #[test]
    fn signed_by_the_trusted_key_verifies_and_an_edit_or_another_key_does_not() {
        let key = SigningKey::builtin();
        let signed = key.sign(&doc_with("_x1", "hello")).unwrap();
        let verify = |xml: &str, cert: &Certificate| {
            let doc = uppsala::parse(xml).unwrap();
            signed_elements(&doc, xml, cert, VerifyPolicy::default()).len()
        };
        assert_eq!(verify(&signed, key.certificate()), 1);
        let altered = signed.replace(">hello<", ">hullo<");
        assert_eq!(verify(&altered, key.certificate()), 0);
        let forged = SigningKey::untrusted()
            .sign(&doc_with("_x1", "hello"))
            .unwrap();
        assert_eq!(verify(&forged, key.certificate()), 0);
        // Trusting KeyInfo (the fault) lets the forger's own certificate in.
        let doc = uppsala::parse(&forged).unwrap();
        let lax = VerifyPolicy {
            trust_keyinfo: true,
        };
        assert_eq!(
            signed_elements(&doc, &forged, key.certificate(), lax).len(),
            1
        );
    }

    #[test]
    fn certificates_round_trip() {
        let cert = SigningKey::builtin().certificate().clone();
        assert_eq!(Certificate::from_pem(&cert.to_pem()).unwrap(), cert);
        assert_eq!(Certificate::from_base64(&cert.to_base64()).unwrap(), cert);
        assert!(Certificate::from_pem("nope").is_err());
        assert!(Certificate::from_base64("AAAA").is_err());
    }
}
