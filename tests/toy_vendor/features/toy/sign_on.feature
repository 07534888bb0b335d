@toy @login
Feature: Toy sign-on
  The toy vendor's whole document: POST /login with a JSON username and
  password answers a token; GET /whoami with that token as a Bearer
  credential names its user; a wrong password gets no token.

  @TOY1
  Scenario: TOY1 a sign-on gives a token that names its user
    When alice asks the toy for a token
    Then the toy gives her a token
    And the toy's whoami names alice

  @TOY2
  Scenario: TOY2 a wrong password gets no token
    When alice asks the toy for a token with a wrong password
    Then the toy gives no token

  @TOY3 @needs-toy-whoami
  Scenario: TOY3 bob's token names bob, not alice
    When bob asks the toy for a token
    Then the toy's whoami names bob
