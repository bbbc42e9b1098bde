'use strict';
// Single sign-on through the Node SDK's LicenseAPI: getSSOUrl names the customer account's OpenID Connect
// provider (a small provider in this process, its key made at start), and activateLicense with the
// provider's id token or code acts for the account's license user. The SDK checks the v1
// license_signature with user.email for such activations, so that check passing is part of the proof.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const jose = require('jose');
const { Latch, uniq, uniqEmail, expectApiError, expectOk } = require('./helpers/latch');

const CLIENT_ID = 'latch-node-e2e';
const CLIENT_SECRET = 'node-e2e-secret';
const REDIRECT_URI = 'http://localhost:4444/callback';

/** An OpenID Connect provider on 127.0.0.1: discovery, key set, and a token endpoint for issued codes. */
class Provider {
  async start() {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
    this.privateKey = privateKey;
    this.jwk = { ...(await jose.exportJWK(publicKey)), kid: 'node-key-1', alg: 'RS256', use: 'sig' };
    this.codes = new Map();
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${this.server.address().port}`;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  /** An id token for `email`, valid from `iat` for five minutes unless `claims` say otherwise. */
  token(email, claims = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ email, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.jwk.kid })
      .setIssuer(this.issuer)
      .setAudience(CLIENT_ID)
      .setSubject(email)
      .setIssuedAt(now)
      .setExpirationTime(claims.exp ?? now + 300)
      .sign(this.privateKey);
  }

  /** A code the token endpoint exchanges once, for REDIRECT_URI, for a token of `email`. */
  issueCode(email) {
    const code = crypto.randomBytes(12).toString('hex');
    this.codes.set(code, email);
    return code;
  }

  async handle(req, res) {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      return send(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (req.url === '/jwks') return send(200, { keys: [this.jwk] });
    if (req.url === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const email = this.codes.get(form.get('code'));
      this.codes.delete(form.get('code'));
      const clientOk = form.get('client_id') === CLIENT_ID && form.get('client_secret') === CLIENT_SECRET;
      if (!clientOk) return send(401, { error: 'invalid_client' });
      if (!email || form.get('redirect_uri') !== REDIRECT_URI || form.get('grant_type') !== 'authorization_code') {
        return send(400, { error: 'invalid_grant' });
      }
      return send(200, { access_token: 'at', token_type: 'Bearer', id_token: await this.token(email) });
    }
    return send(404, { error: 'not_found' });
  }
}

const lt = new Latch('sso');
const provider = new Provider();
let product;
let account;
let email;
before(async () => {
  await provider.start();
  await lt.start();
  product = lt.createProductWith('sso', ['--user-based']);
  account = uniq('acct');
  lt.cli('customer-account', 'create', '--company', lt.cid, '--code', account, '--oidc-issuer', provider.issuer,
    '--oidc-client-id', CLIENT_ID, '--oidc-client-secret', CLIENT_SECRET, '--oidc-redirect-uri', REDIRECT_URI);
  const customer = uniqEmail('buyer');
  lt.createCustomer(customer, ['--account', account]);
  email = uniqEmail('pat');
  lt.createUser(email, ['--customer', customer]);
  const lic = lt.createLicenseWith(product.code, ['--max-activations', 5, '--customer', customer]);
  lt.assignUser(lic, email, ['--max-activations', 5]);
});
after(async () => {
  await lt.stop();
  await provider.stop();
});

describe('single sign-on (LicenseAPI)', () => {
  it('getSSOUrl answers the provider\'s authorization URL and endpoints', async () => {
    const answer = await expectOk(() => lt.api().getSSOUrl({
      product: product.code, customer_account_code: account, response_type: 'code', redirect_uri: REDIRECT_URI,
    }));
    const url = new URL(answer.url);
    assert.equal(`${url.origin}${url.pathname}`, `${provider.issuer}/authorize`);
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(answer.openid_configuration.issuer, provider.issuer);
    assert.equal(answer.openid_configuration.token_endpoint, `${provider.issuer}/token`);
    assert.deepEqual(answer.alternate_urls, []);
  });

  it('an id token activates the license user\'s license; the SDK\'s v1 check uses user.email', async () => {
    const api = lt.api();
    const hw = uniq('hw-sso');
    const token = await provider.token(email);
    const act = await expectOk(() => api.activateLicense({
      product: product.code, hardware_id: hw, customer_account_code: account, id_token: token,
    }));
    assert.equal(act.user.email, email);
    assert.equal(act.customer.customer_account.code, account);
    const chk = await expectOk(() => api.checkLicense({ product: product.code, hardware_id: hw, username: email }));
    assert.equal(chk.license_active, true);
  });

  it('a code is exchanged at the token endpoint (client_secret_post), once', async () => {
    const api = lt.api();
    const code = provider.issueCode(email);
    const credentials = { customer_account_code: account, code, redirect_uri: REDIRECT_URI };
    const act = await expectOk(() => api.activateLicense({ product: product.code, hardware_id: uniq('hw-code'), ...credentials }));
    assert.equal(act.user.email, email);
    await expectApiError(
      () => api.activateLicense({ product: product.code, hardware_id: uniq('hw-code'), ...credentials }),
      400, 'sso_token_invalid',
    );
  });

  it('an expired token and an e-mail with no license user are refused with codes', async () => {
    const api = lt.api();
    const expired = await provider.token(email, { exp: Math.floor(Date.now() / 1000) - 600 });
    await expectApiError(() => api.activateLicense({
      product: product.code, hardware_id: uniq('hw-x'), customer_account_code: account, id_token: expired,
    }), 400, 'sso_token_invalid');
    const stranger = await provider.token(uniqEmail('nobody'));
    await expectApiError(() => api.activateLicense({
      product: product.code, hardware_id: uniq('hw-x'), customer_account_code: account, id_token: stranger,
    }), 400, 'sso_user_not_found');
  });
});
