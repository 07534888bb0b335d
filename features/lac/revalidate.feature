@lac @revalidate
Feature: CA Live API Creator revalidation of an auth token
  A payload with a single apikey attribute does not call the authentication
  provider: a valid auth token comes back as it is, with its ORIGINAL
  expiration (revalidation never extends it); an expired one gets an expired
  error. The clock scenarios move the server's clock instead of waiting, by
  fractions of what remains of the token's lifetime as its sign-on gave it
  (the document gives no lifetime); a sign-on without an expiration skips them.

  @LAC9
  Scenario: LAC9 revalidation returns the same auth token and its original expiration
    Given alice has authenticated
    When alice revalidates her auth token
    Then the revalidation returns the same auth token with the expiration it was issued with

  @LAC10
  Scenario: LAC10 revalidating twice leaves the expiration where it was
    Given alice has authenticated
    When alice revalidates her auth token
    And alice revalidates her auth token
    Then the revalidation returns the same auth token with the expiration it was issued with

  @LAC10 @needs-clock
  Scenario: LAC10 revalidation does not slide the expiration as time passes
    Given alice has authenticated
    When half of what remains of alice's auth token's lifetime passes
    And alice revalidates her auth token
    Then the revalidation returns the same auth token with the expiration it was issued with
    When nine tenths of what remains of alice's auth token's lifetime passes
    And alice revalidates her auth token
    Then the revalidation returns the same auth token with the expiration it was issued with
    When the expiration of alice's auth token passes
    And alice revalidates her auth token
    Then the revalidation is refused as expired

  @LAC11 @needs-clock
  Scenario: LAC11 an expired auth token gets an expired error and no longer works
    Given alice has authenticated
    When the expiration of alice's auth token passes
    And alice revalidates her auth token
    Then the revalidation is refused as expired
    And alice's auth token no longer lets her call the probe resource
