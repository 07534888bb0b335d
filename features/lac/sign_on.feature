@lac @login
Feature: CA Live API Creator sign-on with @authentication
  POST <api>/@authentication with {"username","password"} authenticates the
  user with the API's authentication provider and returns an auth token (the
  apikey) and its expiration. A new auth token is generated for every
  successful request.

  @LAC1
  Scenario: LAC1 valid credentials give an auth token and its expiration
    When alice authenticates with her password
    Then the authentication succeeds with an auth token and its expiration
    And the expiration is in the future
    And alice's auth token lets her call the probe resource

  @LAC2
  Scenario: LAC2 every authentication creates a new auth token, and both work
    When alice authenticates with her password as auth token A
    And alice authenticates with her password as auth token B
    Then auth tokens A and B differ
    And auth token A lets her call the probe resource
    And auth token B lets her call the probe resource

  @LAC3
  Scenario Outline: LAC3 <credentials> gives no auth token
    When someone authenticates with <credentials>
    Then the authentication is refused without an auth token

    Examples:
      | credentials                           |
      | alice's name and a wrong password     |
      | the name of a user who does not exist |
