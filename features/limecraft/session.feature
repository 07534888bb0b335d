@limecraft @session
Feature: Limecraft Flow session lifetime
  A token lasts one hour, or one week when the login sets rememberMe.
  These scenarios move the server's clock instead of waiting.

  @LC9 @needs-clock
  Scenario: LC9 without rememberMe a session lasts one hour
    Given alice has logged in
    When 59 minutes pass
    Then alice's token is still accepted
    Given alice has logged in
    When 61 minutes pass
    Then alice's token is refused

  @LC10 @needs-clock
  Scenario: LC10 with rememberMe a session lasts one week
    Given alice has logged in with rememberMe
    When 10079 minutes pass (one week less a minute)
    Then alice's token is still accepted
    Given alice has logged in with rememberMe
    When 10081 minutes pass (one week and a minute)
    Then alice's token is refused
