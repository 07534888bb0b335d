@lac @transport
Feature: CA Live API Creator auth tokens on API calls
  Every call may carry `Authorization: CALiveAPICreator <apikey>:1`. A GET may
  carry the auth token in the URL instead (`?auth=<apikey>:1`; the target's
  `lac.url_param` names the parameter), but only where the API property that
  allows it is on; no other method may. The property is per API: when the
  target does not declare it (`lac.url_auth`), the suite finds out before the
  run and runs LAC6 where the API lets the token in, LAC7 on it where it
  refuses it. A POST, PUT or DELETE without a body
  is judged against the same call without credentials: a resource may refuse
  the empty request once it let the caller in.

  @LAC4
  Scenario Outline: LAC4 the Authorization header authorizes a <method>
    Given alice has authenticated
    When alice sends a <method> to the probe resource with her auth token in the Authorization header
    Then the probe resource lets the call in

    Examples:
      | method |
      | GET    |
      | POST   |
      | PUT    |
      | DELETE |

  @LAC4 @needs-admin-token
  Scenario: LAC4 an auth token created in API Creator authorizes calls like a sign-on's
    When a client sends a GET to the probe resource with the auth token created in API Creator
    Then the probe resource lets the call in

  @LAC5
  Scenario Outline: LAC5 a call with <credential> is refused with 401
    Given alice has authenticated
    When someone calls the probe resource with <credential>
    Then the probe resource refuses the call with 401

    Examples:
      | credential              |
      | no Authorization header |
      | a made-up auth token    |

  # The document names its scheme and forbids no other: refusing the token
  # under another scheme, or none, is the reference server's choice.
  @LAC5 @strict-other-schemes
  Scenario Outline: LAC5 the auth token with <credential> is refused
    Given alice has authenticated
    When someone calls the probe resource with <credential>
    Then the probe resource refuses the call with 401 (a reference choice)

    Examples:
      | credential                                 |
      | alice's auth token under the Bearer scheme |
      | alice's auth token without a scheme        |

  @LAC6 @needs-url-auth
  Scenario: LAC6 where the API allows it, a GET may carry the auth token in the URL
    Given alice has authenticated
    When alice sends a GET to the probe resource with her auth token in the URL
    Then the probe resource lets the call in

  @LAC7 @needs-url-auth-off
  Scenario: LAC7 where the API does not allow it, an auth token in the URL is refused
    Given alice has authenticated on an API that does not allow auth tokens in the URL
    When alice sends a GET to the probe resource with her auth token in the Authorization header
    Then the probe resource lets the call in
    When alice sends a GET to the probe resource with her auth token in the URL
    Then the probe resource refuses the call with 401

  @LAC8
  Scenario Outline: LAC8 a <method> with the auth token only in the URL is refused
    Given alice has authenticated
    When alice sends a <method> to the probe resource with her auth token in the URL
    Then the probe resource refuses the call with 401

    Examples:
      | method |
      | POST   |
      | PUT    |
      | DELETE |

  # The roles assigned to an auth token decide what it may call; the target
  # names a resource alice's roles allow and bob's do not (`lac.role_path`).
  @LAC21 @needs-role-resource
  Scenario: LAC21 the roles of an auth token decide what it may call
    Given alice has authenticated
    And bob has authenticated
    When alice sends a GET to the role resource with her auth token
    Then the role resource lets the call in
    When bob sends a GET to the role resource with his auth token
    Then the role resource refuses the call
