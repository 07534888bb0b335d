@fileverbs @secretkey
Feature: FileVerbs machine-to-machine access with the SecretKey header
  A call that carries `SecretKey: <key>` is authorized. The key does not
  expire; it stops working only when it is reset in the FileVerbs portal.

  @FV1
  Scenario Outline: FV1 a valid SecretKey authorizes a call, sent in a <case> header name
    When alice calls the protected resource with her SecretKey in a <case> header name
    Then the call is authorized

    Examples:
      | case       |
      | lower-case |
      | Title-Case |

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
