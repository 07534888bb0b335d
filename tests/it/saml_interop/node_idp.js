// An independent identity provider (samlify) answers an AuthnRequest of
// authconform's LiquidFiles SP: it reads the SP's metadata (entity ID, ACS,
// WantAssertionsSigned) and writes a signed Response for `email`. Reads JSON
// on stdin, prints {"saml_response": base64}.
//
// samlify's default template has no <saml:AuthnStatement>, which SAML
// Profiles 4.1.4.2 requires of a Web SSO Response (and the reference SP
// refuses it, saying so): its own template gets one, filled by its own
// replaceTagsByValue; samlify still signs, reads the metadata and dates.
const saml = require('samlify');

// samlify parses no incoming message here; its schema check is not needed.
saml.setSchemaValidator({ validate: () => Promise.resolve('not needed') });

let raw = '';
process.stdin.on('data', (d) => { raw += d; });
process.stdin.on('end', async () => {
  const input = JSON.parse(raw);
  const idp = saml.IdentityProvider({
    entityID: input.idp_entity_id,
    privateKey: input.idp_key_pem,
    signingCert: input.idp_cert_pem,
    isAssertionEncrypted: false,
    wantAuthnRequestsSigned: false,
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{
      Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
      Location: 'http://127.0.0.1:9/sso',
    }],
  });
  const sp = saml.ServiceProvider({ metadata: input.sp_metadata });
  try {
    const withAuthn = (template) => {
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60 * 1000);
      const acs = sp.entityMeta.getAssertionConsumerService('post');
      const assertionId = idp.entitySetting.generateID();
      const authn = `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
      return {
        id: assertionId,
        // Values are escaped by replaceTagsByValue: the element goes in first.
        context: saml.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}', authn), {
          ID: idp.entitySetting.generateID(),
          AssertionID: assertionId,
          Destination: acs,
          Audience: sp.entityMeta.getEntityID(),
          SubjectRecipient: acs,
          Issuer: input.idp_entity_id,
          IssueInstant: now.toISOString(),
          StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
          ConditionsNotBefore: now.toISOString(),
          ConditionsNotOnOrAfter: later.toISOString(),
          SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
          NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          NameID: input.email,
          InResponseTo: input.request_id,
          AttributeStatement: '',
        }),
      };
    };
    const res = await idp.createLoginResponse(
      sp,
      { extract: { request: { id: input.request_id } } },
      'post',
      { email: input.email },
      withAuthn,
    );
    console.log(JSON.stringify({ saml_response: res.context, acs_url: res.entityEndpoint }));
  } catch (e) {
    console.error(String(e && e.stack || e));
    process.exit(1);
  }
});
