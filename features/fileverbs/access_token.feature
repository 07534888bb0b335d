@fileverbs @jwt
Feature: FileVerbs JWT bearer tokens
  POST /api/v1/accounts/access-token exchanges a SecretKey and an APIKey for a
  JWT bearer token (and a refresh token in an HTTP-only cookie); later calls
  send `Authorization: Bearer <JwtToken>`.

  @FV3
  Scenario: FV3 the key pair gives the documented fields, a signed JWT and an HttpOnly refresh cookie
    When alice requests an access token with her SecretKey and APIKey
    Then the answer holds Id, FirstName, LastName, Email, Role, IsVerified, JwtToken and RefreshToken
    And the JwtToken is a signed JWT with exp, iat and sub
    And the refresh token is set in an HttpOnly cookie

  @FV3 @strict-cookie
  Scenario: FV3 the refresh cookie is Secure, SameSite=Strict and sent only to the accounts calls
    When alice requests an access token with her SecretKey and APIKey
    Then the refresh cookie is Secure, SameSite=Strict and limited to the accounts path

  @FV4
  Scenario Outline: FV4 a request with <problem> gets no token
    When alice requests an access token with <problem>
    Then the request is refused without a JwtToken

    Examples:
      | problem                    |
      | a wrong APIKey             |
      | a wrong SecretKey          |
      | no APIKey                  |
      | no SecretKey               |
      | an APIKey that is a number |

  @FV5
  Scenario: FV5 the JwtToken authorizes a call as a bearer token
    Given alice has an access token
    When alice calls the protected resource with her JwtToken
    Then the call is authorized

  @FV5
  Scenario Outline: FV5 a JwtToken <change> is refused
    Given alice has an access token
    When alice calls the protected resource with her JwtToken <change>
    Then the call is refused with 401

    Examples:
      | change                         |
      | with a tampered signature      |
      | with a tampered payload        |
      | with alg none and no signature |
      | signed with another key        |

  @FV5 @needs-clock
  Scenario: FV5 the JwtToken expires after 15 minutes
    Given alice has an access token
    When 14 minutes pass
    Then alice's JwtToken is still accepted
    When 2 minutes pass
    Then alice's JwtToken is refused

  @FV8
  Scenario Outline: FV8 an access-token request with <body> is refused
    When alice requests an access token with <body>
    Then the answer is 400 or 415 without a JwtToken

    Examples:
      | body                  |
      | a text/plain body     |
      | a form body           |
      | a malformed JSON body |
