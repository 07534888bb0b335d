//! Issue #12, failed-login throttling (a reference choice for Limecraft and
//! LAC, like LiquidFiles' documented one): off in a mock unless asked for.

use std::time::Duration;

use authconform::mock::Limecraft;
use serde_json::json;

async fn login(mock: &Limecraft, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/authentication/login", mock.base_url()))
        .json(&json!({"username": "alice", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_mock_throttles_failed_logins_only_when_asked() {
    let mock = Limecraft::start().await;
    for _ in 0..12 {
        assert_eq!(login(&mock, "wrong").await, 401);
    }
    assert_eq!(login(&mock, "alice-Pa55word").await, 200);

    mock.set_login_throttle(3, Duration::from_secs(60));
    for _ in 0..3 {
        assert_eq!(login(&mock, "wrong").await, 401);
    }
    // Refused before any check, even with the right password.
    assert_eq!(login(&mock, "alice-Pa55word").await, 429);
    mock.advance_clock(Duration::from_secs(61)).unwrap();
    assert_eq!(login(&mock, "alice-Pa55word").await, 200);
}
