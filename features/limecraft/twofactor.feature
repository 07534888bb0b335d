@limecraft @2fa @needs-totp-account
Feature: Limecraft Flow two-factor authentication (TOTP)
  POST /user/{id}/enable2fa returns a TOTP key and its parameters. A user with
  2FA gets a temporary token from login (needsSecondToken true), which
  POST /authentication/2fa/validate exchanges, with a code, for the final token.
  The suite computes codes with the parameters the server advertises, then
  as the document's sample client does (SHA-1, 6 digits, 30 s): either passes.
  A server may keep a new key waiting for a first code (the enable request
  lists type TWO_FA_AUTHENTICATOR_ENABLING): when carol's next login asks for
  no second token, the suite confirms the key by 2fa/validate with her
  session token, else by enable2fa with that type, and says which it took.

  @LC11 @needs-replaceable-second-factor
  Scenario: LC11 a user enables two-factor authentication for herself
    Given carol has logged in
    When carol enables two-factor authentication for herself
    Then she receives a TOTP key with its algorithm, digits, period and QR URI

  @LC12
  Scenario Outline: LC12 enabling 2FA for <whom> without SUPPORT rights is refused
    Given alice has logged in
    When alice enables two-factor authentication for <whom>
    Then the request is refused with <status>

    Examples:
      | whom                      | status                                           |
      | bob                       | 403                                              |
      | a user who does not exist | 404, or 403 to a caller without SUPPORT rights   |

  @LC13
  Scenario: LC13 a login with 2FA asks for a second token
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    Then the login asks for a second token and issues a temporary token

  # The document says what the temporary token is for, not what else refuses
  # it: a reference check.
  @LC14
  Scenario: LC14 the temporary token is not a session
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    Then carol's temporary token does not identify her

  # Order matters against a target without clock control: a code is good
  # once, so each code the server accepts makes the next one of that key wait
  # for a new 30 s period. LC19's codes are refused, so they share the period
  # that LC15 then has accepted, with LC11's new key (a server seen to keep
  # used steps for each key needs no new period for it); LC19's "carol has
  # logged in" reuses carol's session of an earlier scenario, or of the last
  # run (the state file), rather than spend a code on a new one.
  @LC19
  Scenario Outline: LC19 validation with <token> is refused
    Given carol has enabled two-factor authentication
    And carol has logged in
    When carol logs in with a JSON body
    And carol validates the current code with <token>
    Then the validation is refused and no token is issued

    Examples:
      | token                            |
      | no token                         |
      | the final token of her session   |

  @LC15
  Scenario Outline: LC15 the current code and the temporary token in <transport> give the final token
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    And carol validates the current code with her temporary token in <transport>
    Then she receives a final token
    And carol's token identifies carol

    Examples:
      | transport        |
      | the header       |
      | the query string |

  @LC16
  Scenario: LC16 a wrong code gives no token
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    And carol validates a wrong code with her temporary token in the header
    Then the validation is refused and no token is issued

  # One step off: RFC 6238 §5.2 recommends accepting it (a reference check);
  # three steps off is a clock "out of sync" (the document: login fails).
  @LC17 @needs-clock
  Scenario Outline: LC17 a code <offset> periods from now is <outcome>
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    And carol validates the code <offset> periods from now with her temporary token in the header
    Then the validation is <outcome>

    Examples:
      | offset | outcome  |
      | -1     | accepted |
      | 1      | accepted |
      | -3     | refused  |
      | 3      | refused  |

  @LC18 @needs-clock
  Scenario: LC18 a code that was accepted cannot be used again
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    And carol validates the current code with her temporary token in the header
    Then the validation is accepted
    When carol logs in with a JSON body
    And carol validates the same code again with her temporary token in the header
    Then the validation is refused and no token is issued

  @LC20 @needs-clock
  Scenario: LC20 rememberMe on validation makes the final token last a week
    Given carol has enabled two-factor authentication
    When carol logs in with a JSON body
    And carol validates the current code with rememberMe
    And 2880 minutes pass (two days)
    Then carol's token is still accepted

  @LC30 @needs-support-account @needs-replaceable-second-factor
  Scenario: LC30 a SUPPORT user enables two-factor authentication for another user
    Given the support user has logged in
    When the support user enables two-factor authentication for carol
    Then she receives a TOTP key with its algorithm, digits, period and QR URI
    When carol logs in with a JSON body
    And carol validates the current code with her temporary token in the header
    Then she receives a final token

  @LC31 @needs-support-account
  Scenario: LC31 a SUPPORT user enabling 2FA for a user who does not exist gets 404
    Given the support user has logged in
    When the support user enables two-factor authentication for a user who does not exist
    Then the request is refused with 404

  @LC32 @needs-replaceable-second-factor
  Scenario: LC32 enabling 2FA again with redo gives a new key that works
    Given carol has enabled two-factor authentication
    And carol has logged in
    When carol enables two-factor authentication for herself again, with redo
    Then she receives a TOTP key with its algorithm, digits, period and QR URI
    When carol logs in with a JSON body
    And carol validates the current code with her temporary token in the header
    Then she receives a final token
