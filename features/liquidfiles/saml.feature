@liquidfiles @browser @saml
Feature: LiquidFiles API web SAML Authentication (/saml/api)
  Seed 000: "If you open a browser window to /saml/api, the browser will be
  redirected to the SAML server for the user to complete the authentication.
  Once successfully authenticated the user will be redirected back to the
  LiquidFiles system and the same "Authentication Successful" page will be
  shown, together with the optional agent_port callback."
  The run's player plays the login as /session/api's (a real browser where
  the run has one, else the HTTP player): it follows /saml/api to the
  identity provider with its AuthnRequest (SAML Bindings 3.4 HTTP-Redirect or
  3.5 HTTP-POST), fills the IdP's login form (the form with a password input)
  with users.saml, and is posted back to the server with the SAMLResponse
  (Bindings 3.5). LF20 and the minted Responses are played over HTTP, which
  shows the AuthnRequest. With an IdP whose signing key it holds
  (liquidfiles.saml.idp: embedded, as on the reference server) it also mints
  Responses that break one rule of a SAML 2.0 service provider each: none
  may give a key. With any other IdP those are skipped (@needs-saml-forgery).

  @LF20 @needs-saml
  Scenario: LF20 /saml/api sends the browser to the IdP with an AuthnRequest
    When the browser opens the /saml/api page
    Then the browser is sent to the SAML identity provider with an AuthnRequest

  @LF21 @needs-saml
  Scenario: LF21 after the IdP login the same success page shows the key
    When alice signs in through the /saml/api page at the identity provider
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the page has no agent callback form

  @LF22 @callback @needs-saml
  Scenario: LF22 with agent_port the browser posts the key to localhost after SAML too
    Given a listener on a random local port
    When alice signs in through the /saml/api page at the identity provider with the listener's port as agent_port
    Then the page says the authentication succeeded and shows an API key in div#api_key
    When the browser makes the agent callback
    Then the listener received exactly one POST with the form body api_key=<the page's key>

  @LF23 @ext @needs-saml @needs-key-probe
  Scenario: LF23 the key from the SAML login works on the API
    When alice signs in through the /saml/api page at the identity provider
    Then the page says the authentication succeeded and shows an API key in div#api_key
    And the key from the page is accepted as the HTTP Basic user name

  @LF24 @needs-saml
  Scenario: LF24 a wrong password at the IdP gives no key
    When alice signs in through the /saml/api page with a wrong password at the identity provider
    Then no API key is shown

  # SAML Core 3.2.2.2: only a Success status is a login.
  @LF24 @needs-saml @needs-saml-forgery
  Scenario: LF24 a Response saying the IdP refused the login gives no key
    When the browser posts a Response for alice with the IdP's refusal as its status to the assertion consumer service
    Then no API key is shown

  # SAML Profiles 4.1.3.5: over HTTP-POST each assertion is signed (itself or by the Response).
  @LF25 @needs-saml @needs-saml-forgery
  Scenario: LF25 an unsigned assertion is refused
    When the browser posts a Response for alice that is unsigned to the assertion consumer service
    Then no API key is shown

  # SAML Core 5.4 (XML Signature core validation): a change after signing breaks the signature.
  @LF26 @needs-saml @needs-saml-forgery
  Scenario: LF26 an assertion altered after signing is refused
    When the browser posts a Response for alice altered after signing to name bob to the assertion consumer service
    Then no API key is shown

  # SAML Profiles 4.1.4.3: the signature must be the IdP's (its metadata's key), not the message's own.
  @LF27 @needs-saml @needs-saml-forgery
  Scenario: LF27 an assertion signed by another key is refused
    When the browser posts a Response for alice signed by another key to the assertion consumer service
    Then no API key is shown

  # SAML Core 2.5.1.4, Profiles 4.1.4.2: the AudienceRestriction names this SP.
  @LF28 @needs-saml @needs-saml-forgery
  Scenario: LF28 an assertion for another service provider is refused
    When the browser posts a Response for alice for another service provider to the assertion consumer service
    Then no API key is shown

  # SAML Core 2.5.1.2 (NotBefore, NotOnOrAfter), Profiles 4.1.4.3 (the confirmation's NotOnOrAfter).
  @LF29 @needs-saml @needs-saml-forgery
  Scenario Outline: LF29 an assertion outside its validity is refused (<when>)
    When the browser posts a Response for alice <when> to the assertion consumer service
    Then no API key is shown

    Examples:
      | when                                 |
      | that expired half an hour ago        |
      | that is valid only in half an hour   |

  # SAML Profiles 4.1.4.5: the SP keeps the IDs of used assertions and refuses them again.
  @LF30 @needs-saml @needs-saml-forgery
  Scenario: LF30 a replayed assertion is refused
    When the browser posts a good Response for alice to the assertion consumer service
    Then the page says the authentication succeeded and shows an API key in div#api_key
    When the browser posts another Response for alice with the same assertion ID to the assertion consumer service
    Then no API key is shown

  # SAML Profiles 4.1.4.3: InResponseTo is the ID of this login's AuthnRequest.
  @LF31 @needs-saml @needs-saml-forgery
  Scenario: LF31 an assertion answering another request is refused
    When the browser posts a Response for alice answering another request to the assertion consumer service
    Then no API key is shown

  # SAML Bindings 3.5.5.2 (Destination), Profiles 4.1.4.3 (Recipient): this SP's assertion consumer service.
  @LF32 @needs-saml @needs-saml-forgery
  Scenario Outline: LF32 a Response sent to another service is refused (<where>)
    When the browser posts a Response for alice <where> to the assertion consumer service
    Then no API key is shown

    Examples:
      | where                        |
      | with another Destination     |
      | with another Recipient       |

  # SAML Core 5.4.2, Profiles 4.1.4.3: what is read is what the signature covers.
  @LF33 @needs-saml @needs-saml-forgery
  Scenario Outline: LF33 a signature-wrapping attempt is refused (<wrapping>)
    When the browser posts a Response for alice wrapped with <wrapping> naming bob to the assertion consumer service
    Then no API key is shown

    Examples:
      | wrapping                                       |
      | a forged assertion before the signed one       |
      | the signed assertion inside a forged one       |
      | the signed assertion hidden in Extensions      |

  # Seed 000: back to "the LiquidFiles system and the same Authentication
  # Successful page"; SAML Bindings 3.4.3: RelayState is the SP's own opaque value.
  @LF34 @needs-saml @needs-saml-forgery
  Scenario: LF34 a RelayState pointing off-site is not followed
    When the browser posts a good Response for alice with the RelayState "https://relay.authconform.invalid/steal" to the assertion consumer service
    Then the browser is not sent off-site
