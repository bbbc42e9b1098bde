'use strict';
// OAuth clients with the Node SDK: configured with clientID, clientSecret and the token URL that
// oauth_url names, it trades them for an access token and calls the License API with it; offline files
// made under OAuth carry the client id, and refresh files for such apps are signed with the client secret.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sdk = require('@licensespring/node-sdk');
const { Latch, uniq, expectOk } = require('./helpers/latch');

const lt = new Latch('oauth');
before(() => lt.start());
after(() => lt.stop());

/** SDK configuration with the OAuth client's credentials instead of an API key and shared key. */
function oauthConfig(client, tokenUrl, overrides = {}) {
  const { apiKey, sharedKey, ...rest } = lt.sdkConfig(overrides);
  return { ...rest, clientID: client.client_id, clientSecret: client.client_secret, tokenUrl };
}

async function tokenUrl() {
  const answer = await fetch(`${lt.apiPath}/oauth_url?login_type=client_credentials`);
  assert.equal(answer.status, 200);
  const body = await answer.json();
  assert.deepEqual(body, { url: `${lt.apiPath}/oauth/token`, login_type: 'client_credentials' });
  return body.url;
}

/** A LicenseManager with OAuth credentials. The SDK forgets its token with a timer as long as the
 * token's lifetime (an hour), which would keep the test process alive that long: the timer is cleared
 * when the test ends. */
async function oauthManager(t, client, hardwareID) {
  const lm = new sdk.LicenseManager(oauthConfig(client, await tokenUrl(), {
    productCode: lt.product.code,
    hardwareID,
    filePath: lt.scratchDir('latch-e2e-lsfile-'),
    filename: 'license',
    gracePeriod: 0,
  }));
  t.after(() => clearTimeout(lm.licenseAPI.service.bearerClearTimeout));
  return lm;
}

function scratchFile(name, content) {
  const file = path.join(lt.scratchDir('latch-e2e-oauth-'), name);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
}

describe('OAuth clients', () => {
  it('LicenseManager with clientID/clientSecret activates, checks and deactivates', async (t) => {
    const client = lt.cli('oauth-client', 'create', '--company', lt.cid);
    const lic = lt.createLicense();
    const lm = await oauthManager(t, client, uniq('hw-oauth'));
    const activated = await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    assert.equal(activated.license_active, true);
    await expectOk(() => lm.checkLicense({ license_key: lic.license_key }));
    assert.equal(lt.showLicense(lic.license_key).times_activated, 1);
    await expectOk(() => lm.deactivateLicense({ license_key: lic.license_key }), { signed: false });
    assert.equal(lt.showLicense(lic.license_key).times_activated, 0);
  });

  it('offline under OAuth: request file → latch offline activate → activateOffline; refreshes signed for the client', async (t) => {
    const client = lt.cli('oauth-client', 'create', '--company', lt.cid);
    const lic = lt.createLicense();
    const hw = uniq('hw-oauth-offline');
    const lm = await oauthManager(t, client, hw);
    const payload = lm.createOfflineActivationPayload({ license_key: lic.license_key });
    const written = JSON.parse(Buffer.from(payload, 'base64').toString());
    assert.equal(written.request.client_id, client.client_id);
    assert.equal(written.request.api_key, undefined);
    const request = scratchFile('activate_offline.req', payload);
    const out = scratchFile('license.lic');
    let run = lt.cliRaw('offline', 'activate', '--company', lt.cid, '--request', request, '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(lm.activateOffline(fs.readFileSync(out, 'utf8')).license_key, lic.license_key);
    const license = lm.loadLicense();
    assert.equal(license.licenseActive, true);

    // The app checks a refresh file's offline_signature with its client id and secret.
    const refresh = scratchFile('refresh.lic');
    run = lt.cliRaw('offline', 'refresh', '--company', lt.cid, '--license', lic.license_key, '--hardware-id', hw,
      '--client-id', client.client_id, '--out', refresh);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(license.updateOffline(refresh, false), true);
    run = lt.cliRaw('offline', 'refresh', '--company', lt.cid, '--license', lic.license_key, '--hardware-id', hw,
      '--api-key', lt.company.api_key, '--out', refresh);
    assert.equal(run.status, 0, run.stderr);
    assert.throws(() => license.updateOffline(refresh, false), (error) => error.code === 'license_signature_invalid');
  });
});
