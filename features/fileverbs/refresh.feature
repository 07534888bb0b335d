@fileverbs @refresh @ext @needs-refresh-endpoint
Feature: FileVerbs refresh tokens (extension)
  The documentation says a refresh token, kept in an HTTP-only cookie, gets a
  new bearer token without sending the keys again, but names no call. The
  reference server offers POST /api/v1/accounts/refresh-token and
  /accounts/revoke-token; a target file names its own paths, each optional on
  its own. The harness sends the refresh token back in the cookie the server
  set it in, as the server wrote it, and takes the new bearer token from the
  answer's JwtToken or any other field that holds a JWT.

  Only the first scenario is the document's rule. The rest are the reference
  server's choices, hence `@strict-…`: refresh tokens rotate, presenting a used
  one revokes its whole family (OAuth 2.0 Security BCP), they last seven days,
  the body may carry them, and revoke ends them.

  @FV6
  Scenario: FV6 the refresh cookie gives a new JwtToken
    Given alice has an access token
    When alice refreshes with her refresh cookie
    Then she receives a new bearer token
    And alice's JwtToken is accepted

  @FV6 @strict-refresh-rotation
  Scenario: FV6 a refresh token is exchanged once
    Given alice has an access token
    And alice has refreshed once
    When alice refreshes with her previous refresh token
    Then the refresh is refused

  @FV6 @strict-refresh-body
  Scenario: FV6 the refresh token may also be sent in the body
    Given alice has an access token
    When alice refreshes with her refresh token in the body
    Then she receives a new bearer token

  @FV6 @strict-refresh-reuse
  Scenario: FV6 a used refresh token revokes its whole family
    Given alice has an access token
    And alice has refreshed once
    When alice refreshes with her previous refresh token
    Then the refresh is refused
    When alice refreshes with her refresh cookie
    Then the refresh is refused

  @FV6 @needs-clock @strict-refresh-lifetime
  Scenario: FV6 a refresh token lasts seven days
    Given alice has an access token
    When 10079 minutes pass (one week less a minute)
    And alice refreshes with her refresh cookie
    Then she receives a new bearer token
    When 10081 minutes pass (one week and a minute)
    And alice refreshes with her refresh cookie
    Then the refresh is refused

  @FV7 @strict-revoke @needs-revoke-endpoint
  Scenario: FV7 a revoked refresh token is refused
    Given alice has an access token
    When alice revokes her refresh token
    Then the revocation succeeds
    When alice refreshes with her refresh cookie
    Then the refresh is refused
