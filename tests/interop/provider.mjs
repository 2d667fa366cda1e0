// An independent OpenID provider (the certified `oidc-provider` package) for onbehalf's interop tests.
// Usage: node provider.mjs PORT CLIENT_JWK_FILE [APP_PORT]
// Serves on 127.0.0.1:PORT with two confidential clients (client_secret_post and private_key_jwt),
// PKCE required, refresh tokens, client credentials, and a resource indicator for an API audience.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, clientJwkFile, appPort] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const clientJwk = JSON.parse(readFileSync(clientJwkFile, 'utf8'));
const redirectUri = 'http://127.0.0.1:9/signin-oidc';
const api = 'urn:onbehalf:interop-api';

// APP_PORT: an onbehalf web app on that loopback port signs users in with the secret client.
const appOrigin = appPort ? `http://127.0.0.1:${appPort}` : null;
const common = {
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  redirect_uris: appOrigin ? [redirectUri, `${appOrigin}/signin-oidc`] : [redirectUri],
  post_logout_redirect_uris: appOrigin ? [`${appOrigin}/signout-callback-oidc`] : [],
};

const provider = new Provider(issuer, {
  clients: [
    { ...common, client_id: 'interop-secret-client', client_secret: 'interop-client-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' },
    { ...common, client_id: 'interop-jwt-client', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: { keys: [clientJwk] } },
  ],
  pkce: { required: () => true },
  cookies: { keys: ['onbehalf-interop-cookie-key'] },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId, name: `Interop user ${accountId}` }) }),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => api,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api:read access_as_user Todo.ReadWrite', audience: api, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});

createServer(provider.callback()).listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider listening at ${issuer}`));
