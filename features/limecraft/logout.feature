@limecraft @logout
Feature: Limecraft Flow logout
  POST /authentication/logout ends the calling session; with allSessions true
  it ends every session of the user, and only of that user.

  @LC21
  Scenario: LC21 a logged-out token is refused
    Given alice has logged in
    When alice logs out
    Then the logout succeeds
    And alice's token is refused

  @LC22
  Scenario: LC22 logging out one session leaves the others
    Given alice has logged in as session A
    And alice has logged in as session B
    When session A logs out
    Then the logout succeeds
    And session A is refused
    And session B is still accepted

  @LC23
  Scenario: LC23 allSessions ends every session of the user and no one else's
    Given alice has logged in as session A
    And alice has logged in as session B
    And bob has logged in as session C
    When session A logs out of all sessions
    Then the logout succeeds
    And session A is refused
    And session B is refused
    And session C is still accepted
    And alice can log in again

  # The document's three ways of carrying the token are for "all subsequent
  # calls" (the header is LC21's).
  @LC24
  Scenario Outline: LC24 logout accepts the token in <transport>
    Given alice has logged in
    When alice logs out with her token in <transport>
    Then the logout succeeds
    And alice's token is refused

    Examples:
      | transport        |
      | the query string |
      | the cookie       |

  @LC25
  Scenario: LC25 logging out with an invalid token fails cleanly
    When someone logs out with a garbage token
    Then the logout answers 200 or 401
