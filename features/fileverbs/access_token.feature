@fileverbs @jwt
Feature: FileVerbs JWT bearer tokens
  POST /api/v1/accounts/access-token exchanges a SecretKey and an APIKey for a
  JWT bearer token (and a refresh token in an HTTP-only cookie); later calls
  send `Authorization: Bearer <JwtToken>`. The document gives no status code:
  a refusal is any non-2xx without a token, and the reference server's exact
  status is checked as its choice (a warning, a failure under --strict).

  @FV3
  Scenario: FV3 the key pair gives the documented fields, a signed JWT and an HttpOnly refresh cookie
    When alice requests an access token with her SecretKey and APIKey
    Then the answer holds Id, FirstName, LastName, Email, Role, IsVerified, JwtToken and RefreshToken
    And the JwtToken is a signed JWT that expires
    And the JwtToken carries iat and sub (a reference choice)
    And the refresh token is set in an HttpOnly cookie

  @FV3 @strict-cookie
  Scenario: FV3 the refresh cookie is RefreshToken, Secure, SameSite=Strict and sent only to the accounts calls
    When alice requests an access token with her SecretKey and APIKey
    Then the refresh cookie is Secure, SameSite=Strict and limited to the accounts path

  @FV4
  Scenario Outline: FV4 a request with <problem> gets no token
    When alice requests an access token with <problem>
    Then the request is refused without a JwtToken
    And the refusal's status is <status> (a reference choice)

    Examples:
      | problem                    | status |
      | a wrong APIKey             | 401    |
      | a wrong SecretKey          | 401    |
      | no APIKey                  | 400    |
      | no SecretKey               | 400    |
      | an APIKey that is a number | 400    |

  @FV5
  Scenario: FV5 the JwtToken authorizes a call as a bearer token
    Given alice has an access token
    When alice calls the protected resource with her JwtToken
    Then the call is authorized

  @FV5
  Scenario Outline: FV5 a JwtToken <change> is refused
    Given alice has an access token
    When alice calls the protected resource with her JwtToken <change>
    Then the call is refused
    And the refusal's status is 401 (a reference choice)

    Examples:
      | change                         |
      | with a tampered signature      |
      | with a tampered payload        |
      | with alg none and no signature |
      | signed with another key        |

  # A server may accept a JWT a little after its exp for clock skew (RFC 7519
  # §4.1.4: "usually no more than a few minutes"); the target file's
  # fileverbs.jwt_leeway_seconds (300 by default) says how long.
  @FV5 @needs-clock
  Scenario: FV5 the JwtToken is accepted until its exp and refused after it
    Given alice has an access token
    When the clock is a tenth of its lifetime short of the exp of alice's JwtToken
    Then alice's JwtToken is still accepted
    When the exp of alice's JwtToken and the leeway for clock skew pass
    Then alice's JwtToken is refused

  @FV5 @needs-clock @strict-jwt-lifetime
  Scenario: FV5 the JwtToken lives 15 minutes
    Given alice has an access token
    When 14 minutes pass
    Then alice's JwtToken is still accepted
    When 2 minutes pass
    Then alice's JwtToken is refused

  @FV8
  Scenario Outline: FV8 an access-token request with <body> is refused
    When alice requests an access token with <body>
    Then the request is refused without a JwtToken
    And the refusal's status is 400 or 415 (a reference choice)

    Examples:
      | body                  |
      | a text/plain body     |
      | a malformed JSON body |

  # The document shows a JSON body only, and forbids no other: refusing
  # both keys as form parameters is the reference server's choice.
  @FV8 @strict-json-only
  Scenario: FV8 an access-token request with a form body is refused
    When alice requests an access token with a form body
    Then the request is refused without a JwtToken
    And the refusal's status is 400 or 415 (a reference choice)
