@fileverbs @secretkey
Feature: FileVerbs machine-to-machine access with the SecretKey header
  A call that carries `SecretKey: <key>` is authorized. The key does not
  expire; it stops working only when it is reset in the FileVerbs portal.

  @FV1
  Scenario: FV1 a valid SecretKey authorizes a call
    When alice calls the protected resource with her SecretKey
    Then the call is authorized

  # The suite sends `SecretKey` as the document writes it; HTTP field names
  # are case-insensitive (RFC 9110 §5.1), so other spellings must work too.
  # A server that matches the name case-sensitively fails here, and only here.
  @FV1
  Scenario: FV1 the SecretKey header's name is case-insensitive
    When alice calls the protected resource with her SecretKey in a header named secretkey
    Then the call is authorized
    When alice calls the protected resource with her SecretKey in a header named SECRETKEY
    Then the call is authorized

  @FV2
  Scenario Outline: FV2 a call with <key> is refused
    When someone calls the protected resource with <key>
    Then the call is refused
    And the refusal's status is 401 (a reference choice)

    Examples:
      | key                |
      | no SecretKey       |
      | a wrong SecretKey  |
      | an empty SecretKey |

  @FV7 @needs-secret-key-reset
  Scenario: FV7 a SecretKey reset in the portal stops the old key
    Given alice's SecretKey has been reset in the portal
    When alice calls the protected resource with her old SecretKey
    Then the call is refused
    And the refusal's status is 401 (a reference choice)
    When alice calls the protected resource with her new SecretKey
    Then the call is authorized

  # "This key does not expire unless manually reset": a year on the server's
  # clock, any lifetime a server might have given it has passed.
  @FV7 @needs-clock
  Scenario: FV7 a SecretKey does not expire
    When 525600 minutes pass (a year)
    And alice calls the protected resource with her SecretKey
    Then the call is authorized
