@liquidfiles @xml @needs-xml-login
Feature: LiquidFiles API key retrieval with the XML API (POST /login)
  POST /login with <user><email/><password/></user> returns the user's API
  key in <user><api_key/></user>. <email> may be the email or the username.
  Characters outside [A-Za-z0-9] may be sent as character references
  (aBcD0123&$ as aBcD0123&#38;&#36;). "The API key doesn't change."

  @LF9
  Scenario Outline: LF9 email and password as <type> give the API key
    When alice posts her email and password to /login as <type>
    Then the XML answer is 2xx with a non-empty api_key in the user element

    Examples:
      | type            |
      | text/xml        |
      | application/xml |

  @LF10 @needs-username-login
  Scenario: LF10 the username gives the same API key as the email
    When alice posts her email and password to /login as text/xml
    And alice posts her username and password to /login as text/xml
    Then both XML answers hold the same api_key

  @LF11 @needs-special-password-account
  Scenario: LF11 a password with & and $ works as decimal character references
    When dan posts his password to /login with every character outside [A-Za-z0-9] as a decimal character reference
    Then the XML answer is 2xx with a non-empty api_key in the user element

  @LF12 @needs-special-password-account
  Scenario Outline: LF12 the password also works <escaping>
    When dan posts his password to /login <escaping>
    Then the XML answer is 2xx with a non-empty api_key in the user element

    Examples:
      | escaping                                        |
      | with hexadecimal character references           |
      | with only & and < escaped and the rest literal  |

  @LF13 @needs-special-password-account
  Scenario: LF13 a raw unescaped & is refused
    When dan posts his password to /login unescaped
    Then the XML login is refused without an api_key

  @LF14
  Scenario: LF14 a wrong password and an unknown user get the same refusal
    When someone posts alice's email and a wrong password to /login
    Then the XML login is refused without an api_key
    When someone posts an unknown email and a password to /login
    Then the XML login is refused without an api_key
    And both XML refusals are identical

  @LF15
  Scenario: LF15 the API key does not change
    When alice posts her email and password to /login as text/xml
    And alice posts her email and password to /login as text/xml
    Then both XML answers hold the same api_key

  @LF16
  Scenario Outline: LF16 <document> is refused
    When alice posts <document> with her credentials to /login
    Then the XML login is refused without an api_key

    Examples:
      | document                          |
      | an unclosed <user> element        |
      | a DOCTYPE declaring an entity     |
      | a DOCTYPE with an external entity |
      | no <password>                     |
      | a <login> root element            |
