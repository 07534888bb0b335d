@liquidfiles @browser
Feature: LiquidFiles User API Key Authentication in a browser (/session/api)
  The client opens /session/api in a web browser: the normal web login, then
  Strong 2-Factor Authentication if enabled (on a page of its own or in the
  login form), then a page "Authentication Successful" with the API key in
  <div class="d-none" id="api_key">. The success is judged in any language
  (a message beside the key, not a form again, not an error status); the
  seed's English words are a reference check. With agent_port the browser
  POSTs api_key=KEY to http://localhost:agent_port.
  A real browser plays these scenarios where the run has one (--browser):
  the harness opens the URL, types into the forms it finds (the form with a
  password box and its user box, a two-step login's first page, the second
  factor's box or boxes) and presses their buttons, then only watches: a
  listener it opened on a random local port records what the browser POSTs
  because of the page. Without a browser the HTTP player stands in (cookies,
  redirects, refreshes, forms as a browser submits them; it posts a
  callback form to the listener itself); what only script does, it reports
  as not judged. Markup, status codes and headers are not documented: checks
  of them only warn (they fail under --strict).

  @LF1
  Scenario: LF1 a browser login shows the API key in div#api_key
    When alice signs in on the /session/api page
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the page has no agent callback form

  @LF2 @callback
  Scenario: LF2 with agent_port the browser posts the key to localhost once
    Given a listener on a random local port
    When alice signs in on the /session/api page with the listener's port as agent_port
    Then the page says the authentication succeeded and shows an API key in div#api_key
    When the browser makes the agent callback
    Then the listener received exactly one POST with the form body api_key=<the page's key>

  # The seeds ask for none of these headers: the reference server's choices,
  # so every check here is a warning (a failure under --strict).
  # Headers are what the HTTP player reads: a browser shows none.
  @LF2 @callback @strict-headers
  Scenario: LF2 the page with the key is not cached, framed or leaked as a referrer
    Given a listener on a random local port
    When alice signs in on the /session/api page with the listener's port as agent_port
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the page forbids caching, framing and referrers
    And the page's Content-Security-Policy lets forms post only to the page's server and the listener's port

  @LF3 @callback
  Scenario: LF3 without agent_port there is no callback
    Given a listener on a random local port
    When alice signs in on the /session/api page
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the page has no agent callback form
    And the listener received nothing

  # Seed 000 types agent_port as an Integer and says nothing of other
  # values: refusing them is the reference server's choice (a warning).
  @LF4 @callback
  Scenario Outline: LF4 agent_port "<port>" is refused and never used for a callback
    When someone opens the /session/api page with agent_port "<port>"
    Then the page is refused without a login form, or the login that follows posts no key anywhere

    Examples:
      | port  |
      | abc   |
      | 0     |
      | 65536 |
      | -1    |
      | 80x   |

  @LF5
  Scenario Outline: LF5 <credentials> on the login page gives no key and no callback
    Given a listener on a random local port
    When someone submits the /session/api login form, with the listener's port as agent_port, with <credentials>
    Then the login page is shown again with an error and no API key
    And the listener received nothing

    Examples:
      | credentials                         |
      | alice's email and a wrong password  |
      | an unknown user's email and a password |

  @LF5
  Scenario: LF5 a wrong password and an unknown user get the same page
    When someone submits the /session/api login form with alice's email and a wrong password
    And someone submits the /session/api login form with an unknown user's email and a password
    Then both /session/api refusals are the same page

  @LF6 @2fa @needs-twofactor-account @needs-totp-secret
  Scenario: LF6 with Strong 2FA only the right code gives the key
    Given a listener on a random local port
    When carol submits her password on the /session/api page with the listener's port as agent_port
    Then the page asks for a two-factor code and shows no API key
    When carol submits no two-factor code
    Then the two-factor form is shown again with no API key
    When carol submits a wrong two-factor code
    Then the two-factor form is shown again with no API key
    And the listener received nothing
    When carol submits the current two-factor code
    Then the page says the authentication succeeded and shows an API key in div#api_key
    When the browser makes the agent callback
    Then the listener received exactly one POST with the form body api_key=<the page's key>

  @LF7 @needs-activity-log
  Scenario: LF7 agent_name and agent_version are written to the activity log
    When alice signs in on the /session/api page with agent_name "Outlook <Plugin> & 'Co'" and agent_version "3.7.1-beta"
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the activity log's newest entry for alice holds agent_name "Outlook <Plugin> & 'Co'" and agent_version "3.7.1-beta"

  @LF8 @ext @needs-clock @needs-key-probe @needs-key-lifetime
  Scenario: LF8 a browser key works until it expires
    When alice signs in on the /session/api page
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the key from the page is accepted as the HTTP Basic user name
    When the browser key's lifetime nearly passes
    Then the key from the page is accepted as the HTTP Basic user name
    When the browser key's lifetime passes
    Then the key from the page is refused
