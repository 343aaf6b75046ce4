// A hostile OpenID Provider for Gatehouse's refusal tests: it speaks the
// protocol (discovery, keys, authorize, token) but the ID token it returns
// is broken in the way the authorization code names:
//   good         a valid token (the baseline: Gatehouse accepts it)
//   wrong_aud    issued for another client
//   expired      expired an hour ago
//   unsigned     alg "none", no signature
//   bad_sig      signed with a key that is not in the provider's JWKS
//   wrong_iss    names another issuer
//   wrong_nonce  carries another nonce than Gatehouse sent
// Prints `issuer http://127.0.0.1:PORT` once it answers.
import http from 'node:http';
import { generateKeyPair, exportJWK, SignJWT, base64url } from 'jose';

const { publicKey, privateKey } = await generateKeyPair('RS256');
const { privateKey: strangerKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
const nonces = new Map();

const server = http.createServer(async (req, res) => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, issuer);
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  }
  if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
  if (url.pathname === '/authorize') {
    // The test picks the breakage with login_hint; the code carries it.
    const mode = url.searchParams.get('login_hint') || 'good';
    const code = `${mode}.${Math.random().toString(36).slice(2)}`;
    nonces.set(code, url.searchParams.get('nonce'));
    const back = new URL(url.searchParams.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state'));
    res.writeHead(302, { location: back.toString() }).end();
    return;
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const code = new URLSearchParams(body).get('code') || '';
    const mode = code.split('.')[0];
    const nonce = nonces.get(code);
    nonces.delete(code);
    if (nonce === undefined) return json(400, { error: 'invalid_grant' });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: 'hostile-1', email: 'hostile@example.com', email_verified: true, name: 'Hostile',
      preferred_username: 'hostile', groups: ['gatehouse-admins'],
      nonce: mode === 'wrong_nonce' ? 'not-the-nonce' : nonce,
    };
    let idToken;
    if (mode === 'unsigned') {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify({
        ...claims, iss: issuer, aud: 'gatehouse', iat: now, exp: now + 300,
      }));
      idToken = `${header}.${payload}.`;
    } else {
      idToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(mode === 'wrong_iss' ? 'https://evil.example' : issuer)
        .setAudience(mode === 'wrong_aud' ? 'someone-else' : 'gatehouse')
        .setIssuedAt(mode === 'expired' ? now - 7200 : now)
        .setExpirationTime(mode === 'expired' ? now - 3600 : now + 300)
        .sign(mode === 'bad_sig' ? strangerKey : privateKey);
    }
    return json(200, { access_token: `at-${code}`, token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }
  json(404, { error: 'not_found' });
});
server.listen(0, '127.0.0.1', () => console.log(`issuer http://127.0.0.1:${server.address().port}`));
