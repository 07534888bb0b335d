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

  @LC26
  Scenario: LC26 the email address logs in as the username does
    Given alice has logged in
    When alice logs in with her email address
    Then the login succeeds without a second factor
    And alice's token identifies alice

  @LC27
  Scenario: LC27 a login without a password redirects to redirectIfPassword
    When alice logs in without a password, with redirectIfPassword
    Then the login redirects to redirectIfPassword

  # redirectIfOk, redirectIfFailed and redirectIfSaml are "for saml based
  # authentication", which the document defers: with a password they change
  # nothing, or send the browser on to redirectIfOk.
  @LC28
  Scenario: LC28 the SAML redirect parameters do not stop a password login or a logout
    When alice logs in with the SAML redirect parameters
    Then the login succeeds or redirects to redirectIfOk
    Given alice has logged in
    When alice logs out with the SAML redirect parameters
    Then the logout succeeds or redirects to redirectIfOk
    And alice's token is refused
