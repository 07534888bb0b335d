//! Credentials in request headers, read the same way for every vendor: the
//! token of an `Authorization` scheme, and a named cookie. A header that is not
//! valid UTF-8, or an empty value, counts as absent.

use axum::http::{HeaderMap, header};

/// The credential of `Authorization: <scheme> <credential>` when the scheme
/// matches (case-insensitively), e.g. `authorization(headers, "Bearer")`.
pub fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credential) = value.trim().split_once(' ')?;
    let credential = credential.trim();
    (given.eq_ignore_ascii_case(scheme) && !credential.is_empty()).then_some(credential)
}

/// The value of the cookie `name`, from any `Cookie` header.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| cookie::Cookie::parse(pair.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn schemes_match_case_insensitively_and_need_a_credential() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(authorization(&h, "Bearer"), Some("abc"));
        assert_eq!(authorization(&h, "Basic"), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(authorization(&h, "Bearer"), None);
    }

    #[test]
    fn cookies_are_found_among_others_in_any_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("x=2; RefreshToken=rt; y=3"),
        );
        assert_eq!(cookie(&h, "RefreshToken").as_deref(), Some("rt"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
