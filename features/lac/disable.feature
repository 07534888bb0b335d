@lac @disable
Feature: CA Live API Creator disabling an auth token
  {"apikey": …, "disable": true} disables the auth token and answers
  {"apikey": …, "disabled": true}. It is idempotent: a success even if the
  token has expired or was disabled already (the document shows that body
  only for a valid, active token, so a repeated disabling's body is the
  reference server's choice). An auth token that is not found is an error.

  @LAC12
  Scenario: LAC12 a disabled auth token is refused and cannot be revalidated
    Given alice has authenticated
    When alice disables her auth token
    Then the auth token is reported disabled
    And alice's auth token no longer lets her call the probe resource
    And revalidating alice's auth token is refused

  @LAC12
  Scenario: LAC12 disabling one auth token leaves the user's others working
    Given alice has authenticated as auth token A
    And alice has authenticated as auth token B
    When alice disables auth token A
    Then the auth token is reported disabled
    And auth token A no longer lets her call the probe resource
    And auth token B still lets her call the probe resource

  @LAC13
  Scenario: LAC13 disabling an auth token twice succeeds twice
    Given alice has authenticated
    And alice has disabled her auth token
    When alice disables her auth token
    Then the disabling succeeds

  @LAC14 @needs-clock
  Scenario: LAC14 an expired auth token can still be disabled
    Given alice has authenticated
    When the expiration of alice's auth token passes
    And alice disables her auth token
    Then the disabling succeeds

  @LAC15
  Scenario: LAC15 disabling an auth token that was never issued is an error
    When someone disables an auth token that was never issued
    Then the disabling is refused
