//! Credentials in request headers and the query string, read the same way for
//! every vendor: the token of an `Authorization` scheme, a named cookie, and a
//! named query parameter. A header that is not valid UTF-8, or an empty value,
//! counts as absent.

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

/// The value of the query parameter `name` (percent-decoded; the first one
/// if it is repeated), e.g. Limecraft's `access_token` or LAC's `auth`.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
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

    #[test]
    fn query_params_are_decoded_first_wins_and_empty_is_absent() {
        assert_eq!(
            query_param(Some("x=1&auth=a%3A1&auth=b"), "auth").as_deref(),
            Some("a:1")
        );
        assert_eq!(query_param(Some("auth="), "auth"), None);
        assert_eq!(query_param(Some("other=1"), "auth"), None);
        assert_eq!(query_param(None, "auth"), None);
    }
}
