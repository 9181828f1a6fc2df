// A real, certified OpenID Provider (the npm package `oidc-provider`) for the
// end-to-end tests of crates/frmo-oidc (see crates/frmo-oidc/tests/provider.rs).
//
// Usage: node provider.mjs <port>    (or PORT=<port> node provider.mjs)
// Environment:
//   PORT          port to listen on at 127.0.0.1 (when not given as argv[2])
//   REDIRECT_URI  the redirect_uri registered for every test client
//
// Prints the single line "ready" on stdout once it listens, and exits when its
// stdin is closed, so that it never outlives the test process that started it.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import process from 'node:process';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node provider.mjs <port>  (or set PORT)');
  process.exit(2);
}
const redirectUri = process.env.REDIRECT_URI ?? 'http://127.0.0.1/frmo/callback';
const issuer = `http://127.0.0.1:${port}`;

// Fresh signing keys per run, so the provider never uses its built-in
// development key and every test run sees new kids.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `frmo-rsa-${randomBytes(4).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};
// And a P-256 key for the client that asks for ES256 id_tokens.
const ecKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid: `frmo-ec-${randomBytes(4).toString('hex')}`,
  alg: 'ES256',
  use: 'sig',
};

// The people who can log in: any login is accepted by the development
// interactions, but only these have claims.
const accounts = {
  ivanov: { name: 'Иванов Иван Иванович', email: 'ivanov@example.org', email_verified: true },
  petrova: { name: 'Петрова Мария', email: 'petrova@example.org', email_verified: false },
};

const common = {
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: [redirectUri],
};

const configuration = {
  clients: [
    // The client of the brief: confidential, HTTP Basic authentication.
    { ...common, client_id: 'frmo', client_secret: 'frmo-secret', token_endpoint_auth_method: 'client_secret_basic' },
    // The same, but with the credentials in the form body.
    { ...common, client_id: 'frmo-post', client_secret: 'frmo-post-secret', token_endpoint_auth_method: 'client_secret_post' },
    // A public client: no secret, PKCE is its only protection.
    { ...common, client_id: 'frmo-public', token_endpoint_auth_method: 'none' },
    // A client whose id_tokens are signed with ES256 instead of the default RS256.
    {
      ...common,
      client_id: 'frmo-es256',
      client_secret: 'frmo-es256-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [signingKey, ecKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  // PKCE for every client, not only the public ones.
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
  },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});

function shutdown() {
  server.close();
  process.exit(0);
}
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
