@limecraft @transport
Feature: Limecraft Flow token transports
  The access token may travel in the Authorization header (Bearer), in the
  access_token query parameter, or in the MOJITO_SESSION_ID_V2 cookie.
  GET /authentication/user validates a token and returns its User.

  @LC7
  Scenario Outline: LC7 the token is accepted in <transport>
    Given alice has logged in
    When alice asks who she is with her token in <transport>
    Then the answer is alice's user with id, username and email

    Examples:
      | transport        |
      | the header       |
      | the query string |
      | the cookie       |

  # The document lists only "200 User is logged in" for this call: any
  # refusal conforms; 401 is the reference server's status (a warning if not).
  @LC8
  Scenario Outline: LC8 a request with <token> is refused
    When someone asks who they are with <token>
    Then the request is refused without a User

    Examples:
      | token                 |
      | no token              |
      | a garbage token       |
      | an empty Bearer token |

  # The suite sends `Authorization` as the document writes it; RFC 9110 §5.1
  # makes header names case-insensitive, so another spelling works too.
  @LC29
  Scenario: LC29 the Authorization header's name is read in any case
    Given alice has logged in
    When alice asks who she is with the header name in lower case
    Then the answer is alice's user with id, username and email
