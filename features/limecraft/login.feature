@limecraft @login
Feature: Limecraft Flow login
  POST /authentication/login takes a username (or email) and password, as JSON
  or as form parameters, and returns the access token for every later call.

  @LC1
  Scenario: LC1 a JSON login returns a token
    When alice logs in with a JSON body
    Then the login succeeds without a second factor
    And alice's token identifies alice

  @LC2
  Scenario: LC2 a form login returns a token
    When alice logs in with form parameters
    Then the login succeeds without a second factor
    And alice's token identifies alice

  @LC3
  Scenario: LC3 a wrong password is refused with the documented envelope
    When alice logs in with a wrong password
    Then the login is refused with 401 and the UnauthorizedError envelope
    And the message says the username sent was not authorized

  @LC4
  Scenario: LC4 an unknown user is refused exactly like a wrong password
    When someone logs in as a user who does not exist
    Then the login is refused with 401 and the UnauthorizedError envelope
    And the message says the username sent was not authorized

  @LC5 @needs-disabled-account
  Scenario: LC5 a disabled account cannot log in
    When the disabled user logs in with the right password
    Then the login is refused with 401

  @LC6 @needs-locked-account
  Scenario: LC6 a locked account is refused with 403
    When the locked user logs in with the right password
    Then the login is refused with 403
