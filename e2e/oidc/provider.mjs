// A real OpenID Provider for Gatehouse's sign-in tests: the npm package
// oidc-provider (OpenID Certified), on loopback, with a few people and a
// groups claim. Its own sign-in page ("devInteractions") takes the login
// name of one of the people below and any password.
//
//   OIDC_REDIRECT_URIS=http://127.0.0.1:8080/api/v1/sso/callback node e2e/oidc/provider.mjs
//
// Environment: OIDC_PORT (default 0: any free port), OIDC_CLIENT_ID
// (gatehouse), OIDC_CLIENT_SECRET (gatehouse-secret), OIDC_REDIRECT_URIS
// (comma-separated), OIDC_CLAIMS_IN_ID_TOKEN=1 to put the scopes' claims in
// the ID token too (by default they are only in UserInfo, as the spec has it
// when an access token is issued).
//
// Prints `issuer http://127.0.0.1:PORT` once it answers. For tests,
// `PUT /__test/users/<login>` with a JSON object replaces (or adds) a
// person's claims, as an admin would change them at the provider.
import http from 'node:http';
import Provider from 'oidc-provider';

const people = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Example', preferred_username: 'alice', groups: ['engineering'] },
  dana: { email: 'dana@example.com', email_verified: true, name: 'Dana Scully', preferred_username: 'dana', groups: ['engineering'] },
  erin: { email: 'erin@example.com', email_verified: true, name: 'Erin Outsider', preferred_username: 'erin', groups: [] },
  root: { email: 'root@example.com', email_verified: true, name: 'Rita Root', preferred_username: 'rita', groups: ['gatehouse-admins', 'engineering'] },
  mallory: { email: 'carol@example.com', email_verified: false, name: 'Mallory', preferred_username: 'carol', groups: ['gatehouse-admins-typo'] },
};

const server = http.createServer();
server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.OIDC_CLIENT_ID || 'gatehouse',
      client_secret: process.env.OIDC_CLIENT_SECRET || 'gatehouse-secret',
      redirect_uris: (process.env.OIDC_REDIRECT_URIS || 'http://127.0.0.1:8080/api/v1/sso/callback').split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    async findAccount(ctx, id) {
      const person = people[id];
      if (!person) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...people[id] }; } };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: process.env.OIDC_CLAIMS_IN_ID_TOKEN !== '1',
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    // First-party: no consent screen; the grant is made at sign-in.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
  // Loopback over plain HTTP: tell it so, or it refuses insecure cookies.
  provider.proxy = false;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    const match = req.url.match(/^\/__test\/users\/([A-Za-z0-9_-]+)$/);
    if (match && req.method === 'PUT') {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        try {
          people[match[1]] = JSON.parse(body);
          res.writeHead(204).end();
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
      return;
    }
    handle(req, res);
  });
  console.log(`issuer ${issuer}`);
});
