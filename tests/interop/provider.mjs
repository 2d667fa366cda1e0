// An independent OpenID provider (the certified `oidc-provider` package) for onbehalf's interop tests.
// Usage: node provider.mjs PORT CLIENT_JWK_FILE [APP_PORT[,APP_PORT...]]
// CLIENT_JWK_FILE holds the private_key_jwt client's public key, or a JWKS of its keys.
// Serves on 127.0.0.1:PORT with two confidential clients (client_secret_post and private_key_jwt),
// PKCE required, refresh tokens, client credentials, and a resource indicator for an API audience.
//
// Opt-in, for tests of several app instances sharing one sign-in (environment variables):
//   ROTATE_REFRESH_TOKENS=1          every refresh grant replaces the refresh token; oidc-provider then
//                                    revokes the whole grant when a replaced one is used again
//   ACCESS_TOKEN_TTL=SECONDS         access tokens live this long (default: an hour)
//   TOKEN_ENDPOINT_LATENCY_MS=MS     the token endpoint answers this much later, as a real provider
//                                    across a network does (loopback answers in a millisecond)
// and always: GET /admin/grants → {"authorization_code":n,"refresh_token":n,"refresh_token_refused":n,
// "revoked":n,"token_exchange":n,"token_exchange_refused":n}, token requests by grant type (granted
// or refused) and grants revoked, counted from the provider's events.
//
// On-behalf-of for providers other than Entra: RFC 8693 token exchange, registered as a grant of
// its own. A user's JWT access token for the API (verified against this provider's published keys
// with `jose`, independently of the app under test) is exchanged for a token to the downstream API.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [port, clientJwkFile, appPorts] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const clientKeys = JSON.parse(readFileSync(clientJwkFile, 'utf8'));
const redirectUri = 'http://127.0.0.1:9/signin-oidc';
const api = 'urn:onbehalf:interop-api';
const downstream = 'urn:onbehalf:interop-downstream';
const downstreamScope = 'downstream:read';
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';

const rotateRefreshTokens = process.env.ROTATE_REFRESH_TOKENS === '1';
const accessTokenTtl = process.env.ACCESS_TOKEN_TTL ? Number(process.env.ACCESS_TOKEN_TTL) : undefined;
const tokenEndpointLatency = Number(process.env.TOKEN_ENDPOINT_LATENCY_MS || 0);

// APP_PORT: onbehalf web apps on those loopback ports sign users in with the secret client.
const appOrigins = appPorts ? appPorts.split(',').map((p) => `http://127.0.0.1:${p}`) : [];
const common = {
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials', tokenExchange],
  response_types: ['code'],
  redirect_uris: [redirectUri, ...appOrigins.map((o) => `${o}/signin-oidc`)],
  post_logout_redirect_uris: appOrigins.map((o) => `${o}/signout-callback-oidc`),
};

const provider = new Provider(issuer, {
  clients: [
    { ...common, client_id: 'interop-secret-client', client_secret: 'interop-client-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' },
    { ...common, client_id: 'interop-jwt-client', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: clientKeys.keys ? clientKeys : { keys: [clientKeys] } },
  ],
  pkce: { required: () => true },
  cookies: { keys: ['onbehalf-interop-cookie-key'] },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId, name: `Interop user ${accountId}` }) }),
  ...(rotateRefreshTokens ? { rotateRefreshToken: true } : {}),
  ...(accessTokenTtl ? { ttl: { AccessToken: accessTokenTtl } } : {}),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => api,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api:read access_as_user Todo.ReadWrite', audience: api, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
        ...(accessTokenTtl ? { accessTokenTTL: accessTokenTtl } : {}),
      }),
    },
  },
});

// Counted from events rather than requests: the provider alone knows the grant type it parsed,
// and which grants it revoked (a replaced refresh token used again revokes its whole grant).
const grants = { authorization_code: 0, refresh_token: 0, refresh_token_refused: 0, revoked: 0, token_exchange: 0, token_exchange_refused: 0 };
const countGrant = (ctx, refused) => {
  const type = ctx.oidc?.params?.grant_type;
  if (type !== 'authorization_code' && type !== 'refresh_token') return;
  grants[type] += 1;
  if (refused && type === 'refresh_token') grants.refresh_token_refused += 1;
};
provider.on('grant.success', (ctx) => countGrant(ctx, false));
provider.on('grant.error', (ctx) => countGrant(ctx, true));
provider.on('grant.revoked', () => { grants.revoked += 1; });

// RFC 8693: a user's access token for the API (the middle tier) becomes one for the downstream API,
// for the same user and the client that asks. Applications' tokens (subject = client) are refused.
const publishedKeys = createRemoteJWKSet(new URL(`${issuer}/jwks`));
provider.registerGrantType(tokenExchange, async (ctx) => {
  const { subject_token: subjectToken, subject_token_type: subjectType, scope } = ctx.oidc.params;
  const refuse = (error, description) => {
    grants.token_exchange_refused += 1;
    ctx.status = 400;
    ctx.body = { error, error_description: description };
  };
  if (subjectType !== accessTokenType) return refuse('invalid_request', 'subject_token_type must name an access token');
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(subjectToken, publishedKeys, { issuer, audience: api, typ: 'at+jwt' }));
  } catch (e) {
    return refuse('invalid_grant', `the subject token is not a valid token for ${api}: ${e.message}`);
  }
  if (claims.sub === claims.client_id) return refuse('invalid_grant', "an application's token cannot be exchanged for a user's");
  const requested = (scope || '').split(' ').filter((s) => s === downstreamScope);
  if (requested.length === 0) return refuse('invalid_scope', `ask for ${downstreamScope}`);
  const token = new ctx.oidc.provider.AccessToken({ accountId: claims.sub, client: ctx.oidc.client, scope: requested.join(' '), gty: tokenExchange });
  token.resourceServer = new ctx.oidc.provider.ResourceServer(downstream, {
    scope: downstreamScope, audience: downstream, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
  });
  const value = await token.save();
  grants.token_exchange += 1;
  ctx.body = { access_token: value, issued_token_type: accessTokenType, token_type: 'Bearer', expires_in: token.expiration, scope: token.scope };
}, ['subject_token', 'subject_token_type', 'requested_token_type', 'scope']);

const callback = provider.callback();
createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/admin/grants') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(grants));
    return;
  }
  if (tokenEndpointLatency > 0 && req.url === '/token') {
    setTimeout(() => callback(req, res), tokenEndpointLatency);
    return;
  }
  callback(req, res);
}).listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider listening at ${issuer}`));
