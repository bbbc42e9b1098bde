'use strict';
// Offline activation with the Node SDK: request files from LicenseManager / License, answered by
// `latch offline ...` (the air-gapped path) and by the License API; license and refresh files read back
// by the SDK's own loaders, which verify their signatures.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Latch, uniq, expectOk } = require('./helpers/latch');

const lt = new Latch('offline');
before(() => lt.start());
after(() => lt.stop());

/** `latch offline ARGS --company ID`, raw. */
function offline(...args) {
  return lt.cliRaw('offline', ...args, '--company', lt.cid);
}

/** Writes `content` to a fresh file and returns its path. */
function scratchFile(name, content) {
  const file = path.join(lt.scratchDir('latch-e2e-offline-'), name);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
}

/** The file with one byte of its JSON changed: still base64 of valid JSON, no longer what was signed. */
function flipByte(content) {
  const json = Buffer.from(content.trim(), 'base64');
  const at = json.indexOf('"license_type":"') + '"license_type":"'.length;
  json[at] = json[at] === 0x50 ? 0x51 : 0x50;
  return json.toString('base64');
}

/** Activates `hw` on `lic` through LicenseManager's request file and `latch offline activate`. */
function activateWithCli(lm, lic) {
  const request = scratchFile('activate_offline.req', lm.createOfflineActivationPayload({ license_key: lic.license_key }));
  const out = scratchFile('license.lic');
  const run = offline('activate', '--request', request, '--out', out);
  assert.equal(run.status, 0, run.stderr);
  return fs.readFileSync(out, 'utf8');
}

describe('offline activation', () => {
  it('LicenseManager request file → latch offline activate → activateOffline → updateOffline', () => {
    const lic = lt.createLicense({ type: 'subscription', validUntil: '2030-01-01', maxActivations: 2 });
    const hw = uniq('hw-offline');
    const lm = lt.manager({ hardwareID: hw });
    const licenseFile = activateWithCli(lm, lic);

    const activated = lm.activateOffline(licenseFile);
    assert.equal(activated.license_key, lic.license_key);
    assert.equal(activated.hardware_id, hw);
    assert.equal(lt.showLicense(lic.license_key).times_activated, 1);
    const license = lm.loadLicense();
    assert.equal(license.licenseActive, true);

    lt.cli('license', 'renew', lic.license_key, '--valid-until', '2031-06-01');
    const refresh = scratchFile('refresh.lic');
    const run = offline('refresh', '--license', lic.license_key, '--hardware-id', hw, '--out', refresh);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(license.updateOffline(refresh, false), true);
    assert.equal(lm.loadLicense().validityPeriod, '2031-06-01T00:00:00.000Z');

    fs.writeFileSync(refresh, flipByte(fs.readFileSync(refresh, 'utf8')));
    assert.throws(() => license.updateOffline(refresh, false));
  });

  it('a flipped byte in a license file is refused', () => {
    const lic = lt.createLicense();
    const lm = lt.manager({ hardwareID: uniq('hw-offline') });
    const licenseFile = activateWithCli(lm, lic);
    assert.throws(() => lm.activateOffline(flipByte(licenseFile)));
    assert.equal(lm.activateOffline(licenseFile).license_key, lic.license_key);
  });

  it('LicenseAPI.activateOffline and deactivateOffline over HTTP', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-offline');
    const lm = lt.manager({ hardwareID: hw });
    const api = lt.api();
    const answer = await expectOk(() => api.activateOffline(lm.createOfflineActivationPayload({ license_key: lic.license_key })),
      { signed: true });
    assert.equal(answer.license_key, lic.license_key);
    assert.equal(answer.hardware_id, hw);
    assert.equal(lt.showLicense(lic.license_key).times_activated, 1);

    await expectOk(() => api.deactivateOffline(lm.createOfflineDeactivationPayload({ license_key: lic.license_key })),
      { signed: false });
    assert.equal(lt.showLicense(lic.license_key).times_activated, 0);
  });

  it("License.deactivateOffline's file (no request, no request_id) frees the seat", async () => {
    const lic = lt.createLicense({ maxActivations: 1 });
    const hw = uniq('hw-offline');
    const lm = lt.manager({ hardwareID: hw });
    lm.activateOffline(activateWithCli(lm, lic));
    const dir = lt.scratchDir('latch-e2e-deactivate-');
    await lm.loadLicense().deactivateOffline(dir);
    const request = path.join(dir, 'deactivate_offline.req');
    const written = JSON.parse(Buffer.from(fs.readFileSync(request, 'utf8'), 'base64').toString());
    assert.equal(written.request.request, undefined);
    assert.equal(written.request.request_id, undefined);

    const run = offline('deactivate', '--request', request);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(lt.showLicense(lic.license_key).times_activated, 0);
    // the seat is free for another device
    await expectOk(() => lt.manager({ hardwareID: uniq('hw-next') }).activateLicense({ license_key: lic.license_key }));
  });
});
