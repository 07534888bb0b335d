//! HS256 JSON Web Tokens, the one algorithm FileVerbs uses: the reference
//! server signs and checks them, the harness forges one with another key.
//!
//! The `jwt` crate does the parsing and the encoding on RustCrypto's `hmac` and
//! `sha2` (already in the tree through `totp-rs`), so no RSA, ECDSA or Ed25519
//! crate is built for an algorithm nobody uses here. The header is the
//! document's example, `{"alg":"HS256","typ":"JWT"}`.

use hmac::{Hmac, Mac};
use jwt::header::HeaderType;
use jwt::{AlgorithmType, Header, SignWithKey, Token, VerifyWithKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

fn key(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this never fails.
    Hmac::new_from_slice(secret).expect("HMAC accepts a key of any length")
}

/// `claims` signed with HS256 under `secret`.
pub fn sign(secret: &[u8], claims: &impl Serialize) -> Result<String, jwt::Error> {
    let header = Header {
        algorithm: AlgorithmType::Hs256,
        type_: Some(HeaderType::JsonWebToken),
        ..Default::default()
    };
    let signed = Token::new(header, claims).sign_with_key(&key(secret))?;
    Ok(signed.as_str().to_owned())
}

/// The claims of `token` if its header says HS256 and its signature is
/// `secret`'s; no claim is judged here (the caller checks `exp` against its clock).
pub fn verify<C: DeserializeOwned>(secret: &[u8], token: &str) -> Result<C, jwt::Error> {
    verify_with(&Hs256Key::new(secret), token)
}

/// A secret ready to verify with: HMAC's key schedule (two SHA-256 blocks)
/// done once, not on every token.
#[derive(Clone)]
pub struct Hs256Key(Hmac<Sha256>);

impl Hs256Key {
    pub fn new(secret: &[u8]) -> Self {
        Hs256Key(key(secret))
    }
}

/// The header [`sign`] writes, as it appears in a token.
const SIGNED_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// [`verify`] with a prepared key. A token whose header is the one [`sign`]
/// writes (`{"alg":"HS256","typ":"JWT"}`, byte for byte) is checked directly:
/// the signature over `header.payload`, then the payload's JSON; any other
/// header goes through the `jwt` crate's parsing, which judges its `alg`.
pub fn verify_with<C: DeserializeOwned>(key: &Hs256Key, token: &str) -> Result<C, jwt::Error> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ours = token
        .split_once('.')
        .is_some_and(|(header, _)| header == SIGNED_HEADER);
    if !ours {
        let token: Token<Header, C, _> = token.verify_with_key(&key.0)?;
        let (_, claims) = token.into();
        return Ok(claims);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(jwt::Error::Format)?;
    let (_, payload) = signed.split_once('.').ok_or(jwt::Error::Format)?;
    if payload.contains('.') {
        return Err(jwt::Error::Format);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| jwt::Error::Format)?;
    let mut mac = key.0.clone();
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| jwt::Error::InvalidSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| jwt::Error::Format)?;
    Ok(serde_json::from_slice(&payload)?)
}

/// The claims of `token`, whatever its header and signature say. DANGER: for
/// the fault catalogue's broken checks and for forging tokens in tests only.
pub fn insecure_claims<C: DeserializeOwned>(token: &str) -> Result<C, jwt::Error> {
    let token: Token<serde_json::Value, C, _> = Token::parse_unverified(token)?;
    let (_, claims) = token.into();
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    #[test]
    fn signs_with_the_documented_header_and_verifies_only_under_the_same_key() {
        let claims = json!({ "sub": "u1", "exp": 2_000_000_000_i64 });
        let token = sign(b"key one", &claims).unwrap();
        let header = token.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            br#"{"alg":"HS256","typ":"JWT"}"#
        );
        assert_eq!(verify::<Value>(b"key one", &token).unwrap(), claims);
        assert!(verify::<Value>(b"key two", &token).is_err());
        assert_eq!(insecure_claims::<Value>(&token).unwrap(), claims);
    }

    #[test]
    fn the_direct_path_agrees_with_the_jwt_crate() {
        let claims = json!({ "sub": "u1", "exp": 2_000_000_000_i64 });
        let token = sign(b"k", &claims).unwrap();
        assert!(token.starts_with(&format!("{SIGNED_HEADER}.")));
        let key = Hs256Key::new(b"k");
        assert_eq!(verify_with::<Value>(&key, &token).unwrap(), claims);
        assert!(verify_with::<Value>(&Hs256Key::new(b"other"), &token).is_err());
        let parts: Vec<&str> = token.split('.').collect();
        for bad in [
            format!("{}.{}", parts[0], parts[1]),
            format!("{}.{}.{}x", parts[0], parts[1], parts[2]),
            format!("{}.{}.{}.{}", parts[0], parts[1], parts[1], parts[2]),
            format!("{}.{}.", parts[0], parts[1]),
        ] {
            assert!(verify_with::<Value>(&key, &bad).is_err(), "{bad}");
        }
        // Another header (same claims, same key) takes the jwt crate's path.
        let other = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#);
        let signed = format!("{other}.{}", parts[1]);
        let mut mac = key.0.clone();
        mac.update(signed.as_bytes());
        let token = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(verify_with::<Value>(&key, &token).unwrap(), claims);
    }

    #[test]
    fn refuses_alg_none_and_a_tampered_payload() {
        let token = sign(b"k", &json!({ "sub": "u1" })).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(verify::<Value>(b"k", &format!("{none}.{}.", parts[1])).is_err());
        let other = URL_SAFE_NO_PAD.encode(r#"{"sub":"u2"}"#);
        assert!(verify::<Value>(b"k", &format!("{}.{other}.{}", parts[0], parts[2])).is_err());
        // Unverified reading does not care: that is what the faults break.
        let claims: Value = insecure_claims(&format!("{none}.{}.", parts[1])).unwrap();
        assert_eq!(claims["sub"], "u1");
    }
}
