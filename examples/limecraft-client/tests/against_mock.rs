//! The client's tests, one Limecraft mock per test.

use std::time::Duration;

use authconform_mock::Limecraft;
use limecraft_client::{Client, Error};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn login_user_logout() {
    let mock = Limecraft::start().await;
    let client = Client::new(mock.base_url());
    let token = client.login("alice", "alice-Pa55word").await.unwrap();
    assert_eq!(client.current_user(&token).await.unwrap().username, "alice");
    client.logout(&token).await.unwrap();
    match client.current_user(&token).await {
        Err(Error::Api {
            status: 401, kind, ..
        }) => assert_eq!(kind, "UnauthorizedError"),
        other => panic!("expected a 401 after logout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_locked_account_is_a_403() {
    let mock = Limecraft::start().await;
    mock.add_user("zoe", "zoe-Pa55word").unwrap();
    mock.lock_user("zoe").unwrap();
    let e = Client::new(mock.base_url())
        .login("zoe", "zoe-Pa55word")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 403, .. }), "{e}");
}

#[tokio::test]
async fn two_factor_login() {
    let mock = Limecraft::start().await;
    let secret = mock.enable_two_factor("carol").unwrap();
    let client = Client::new(mock.base_url());
    let Err(Error::SecondFactorRequired { temporary_token }) =
        client.login("carol", "carol-Pa55word").await
    else {
        panic!("carol has 2FA: login must ask for a code");
    };
    let token = client
        .validate_second_factor(&temporary_token, &mock.totp_code(&secret).unwrap())
        .await
        .unwrap();
    assert_eq!(client.current_user(&token).await.unwrap().username, "carol");
}

#[tokio::test]
async fn the_session_ends_after_an_hour() {
    let mock = Limecraft::start().await;
    let client = Client::new(mock.base_url());
    let token = client.login("bob", "bob-Pa55word").await.unwrap();
    mock.advance_clock(Duration::from_secs(3600)).unwrap();
    assert!(client.current_user(&token).await.is_err());
}

#[tokio::test]
async fn retry_survives_two_503s_and_a_dropped_connection() {
    let mock = Limecraft::start().await;
    let login = "/authentication/login";
    mock.fail_next(Method::POST, login, 2, StatusCode::SERVICE_UNAVAILABLE)
        .unwrap();
    let client = Client::new(mock.base_url());
    assert!(
        client
            .login_with_retry("alice", "alice-Pa55word", 3)
            .await
            .is_ok()
    );
    assert_eq!(mock.received_requests().len(), 3);

    mock.drop_connection_next(Method::POST, login, 1).unwrap();
    assert!(
        client
            .login_with_retry("alice", "alice-Pa55word", 2)
            .await
            .is_ok()
    );

    mock.fail_next(Method::POST, login, 5, StatusCode::BAD_GATEWAY)
        .unwrap();
    let e = client
        .login_with_retry("alice", "alice-Pa55word", 3)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 502, .. }), "{e}");
}

#[tokio::test]
async fn a_malformed_body_is_a_transport_error_not_a_panic() {
    let mock = Limecraft::start().await;
    mock.malformed_body_next(Method::POST, "/authentication/login", 1)
        .unwrap();
    let e = Client::new(mock.base_url())
        .login("alice", "alice-Pa55word")
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Transport(ref t) if t.is_decode()),
        "{e:?}"
    );
}
