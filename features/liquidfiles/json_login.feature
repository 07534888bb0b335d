@liquidfiles @json @needs-json-login
Feature: LiquidFiles API key retrieval with the JSON API (POST /login, v3)
  Seed 001 deprecates the XML API "in favour of the JSON API that's available
  in LiquidFiles v3.x onwards": the same POST /login with the same user
  fields as JSON, {"user":{"email":…,"password":…}} in and
  {"user":{"api_key":…}} out, as LiquidFiles' own CLI sends and reads it.
  Refusals carry {"errors":[…]}; their statuses are our choice.

  @LF17
  Scenario: LF17 email and password as JSON give the API key
    When alice posts her email and password to /login as JSON
    Then the JSON answer is 2xx with a non-empty user.api_key

  @LF17 @needs-xml-login
  Scenario: LF17 the JSON API gives the same key as the XML API
    When alice posts her email and password to /login as JSON
    And alice posts her email and password to /login as text/xml
    Then the JSON and the XML answer hold the same api_key

  @LF18
  Scenario: LF18 a wrong password and an unknown user get the same JSON refusal
    When someone posts alice's email and a wrong password to /login as JSON
    Then the JSON login is refused without an api_key
    When someone posts an unknown email and a password to /login as JSON
    Then the JSON login is refused without an api_key
    And both JSON refusals are identical

  @LF19
  Scenario Outline: LF19 <document> is refused
    When alice posts <document> as JSON to /login
    Then the JSON login is refused without an api_key

    Examples:
      | document                            |
      | JSON that is not well-formed        |
      | her email without a password        |
      | her credentials outside user        |
