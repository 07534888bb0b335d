// An independent service provider (node-saml, the engine of passport-saml)
// validates a Response of authconform's embedded IdP: signature against the
// IdP certificate, Issuer, Audience, Destination/Recipient, InResponseTo,
// NotBefore/NotOnOrAfter. Reads JSON on stdin, prints JSON; exit 1 on refusal.
const { SAML } = require('@node-saml/node-saml');

let raw = '';
process.stdin.on('data', (d) => { raw += d; });
process.stdin.on('end', async () => {
  const input = JSON.parse(raw);
  const saml = new SAML({
    callbackUrl: input.acs_url,
    entryPoint: input.sso_url,
    issuer: input.sp_entity_id,
    audience: input.sp_entity_id,
    idpCert: input.idp_cert_pem,
    idpIssuer: input.idp_entity_id,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: 'always',
    acceptedClockSkewMs: 5000,
  });
  try {
    // node-saml accepts only InResponseTo values it issued: tell its cache.
    await saml.cacheProvider.saveAsync(input.request_id, new Date().toISOString());
    const result = await saml.validatePostResponseAsync({ SAMLResponse: input.saml_response });
    console.log(JSON.stringify({ ok: true, name_id: result.profile.nameID, issuer: result.profile.issuer }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e && e.message || e) }));
    process.exit(1);
  }
});
