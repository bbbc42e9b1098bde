'use strict';
// Bundles through the SDK's BundleManager: a bundle license comes with one license per included
// product; activateBundle / checkBundle verify every element's v1 signature and the header signature.
// Offline, `latch offline activate` answers a bundle's request file with the licenses by product code,
// which the SDK's bundle file reader and checkBundleOffline take.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sdk = require('@licensespring/node-sdk');
const { Latch, uniq, expectApiError, expectOk, licenseSignatureV1Valid } = require('./helpers/latch');

const lt = new Latch('bundles');
before(() => lt.start());
after(() => lt.stop());

/** A bundle of two fresh products: { bundle, included }. */
function createBundle() {
  const included = [lt.createProductWith('part').code, lt.createProductWith('part').code];
  const bundle = lt.createProductWith('bundle', ['--bundle', '--includes', included.join(',')]);
  assert.deepEqual(bundle.includes, included);
  return { bundle: bundle.code, included };
}

function bundleManager(productCode, hardwareID) {
  return new sdk.BundleManager(lt.sdkConfig({
    productCode,
    hardwareID,
    filePath: lt.scratchDir('latch-e2e-bundle-'),
    filename: 'bundle',
    gracePeriod: 0,
  }));
}

function timesActivated(lic) {
  return lt.showLicenseById(lic.license_id).times_activated;
}

describe('BundleManager', () => {
  it('activateBundle → checkBundle → deactivateBundle', async () => {
    const { bundle, included } = createBundle();
    const lic = lt.createLicenseWith(bundle, ['--max-activations', 2]);
    const parts = included.map((code) => lt.cli('license', 'list', '--company', lt.cid, '--product', code).licenses);
    parts.forEach((found) => assert.equal(found.length, 1));
    const hw = uniq('hw-bundle');
    const bm = bundleManager(bundle, hw);

    const activated = await expectOk(() => bm.activateBundle({ license_key: lic.license_key }));
    assert.deepEqual(activated.map((l) => l.product_details.short_code), [bundle, ...included]);
    for (const l of activated) {
      assert.equal(l.license_key, lic.license_key);
      assert.equal(l.license_active, true);
      assert.ok(licenseSignatureV1Valid(lt.company.public_key_pem, l, hw, lic.license_key));
    }
    assert.equal(timesActivated(lic), 1);
    parts.forEach((found) => assert.equal(timesActivated(found[0]), 1));

    const checked = await expectOk(() => bm.checkBundle({ license_key: lic.license_key }));
    assert.deepEqual(checked.map((l) => l.product_details.short_code), [bundle, ...included]);
    assert.ok(checked.every((l) => l.license_active && l.hardware_id === hw));
    assert.equal(bm.loadBundle().licenseActive, true);

    await expectOk(() => bm.deactivateBundle({ license_key: lic.license_key }), { signed: false });
    assert.equal(timesActivated(lic), 0);
    parts.forEach((found) => assert.equal(timesActivated(found[0]), 0));
    await expectApiError(() => lt.api().checkBundle({ product: bundle, hardware_id: hw, license_key: lic.license_key }),
      400, 'license_not_active');
  });

  it('offline: createOfflineActivationPayload → latch offline activate → the bundle file by product code', () => {
    const { bundle, included } = createBundle();
    const lic = lt.createLicenseWith(bundle);
    const hw = uniq('hw-bundle-offline');
    const bm = bundleManager(bundle, hw);
    const dir = lt.scratchDir('latch-e2e-bundle-offline-');
    const request = path.join(dir, 'activate_offline.req');
    fs.writeFileSync(request, bm.createOfflineActivationPayload({ license_key: lic.license_key }));
    const out = path.join(dir, 'bundle.lic');
    const run = lt.cliRaw('offline', 'activate', '--company', lt.cid, '--request', request, '--out', out);
    assert.equal(run.status, 0, run.stderr);
    const content = fs.readFileSync(out, 'utf8');

    // Every product's v1 signature and offline_signature (HMAC with the app's shared key) verify.
    const licenses = bm.licenseAPI.checkBundleOffline(content);
    assert.deepEqual(Object.keys(licenses), [bundle, ...included]);
    for (const code of Object.keys(licenses)) {
      assert.equal(licenses[code].product_details.short_code, code);
      assert.equal(licenses[code].hardware_id, hw);
    }
    assert.equal(timesActivated(lic), 1);
    included.forEach((code) => assert.equal(timesActivated(lt.cli('license', 'list', '--company', lt.cid, '--product', code).licenses[0]), 1));

    // The SDK's bundle file reader takes every product from it; saved, the bundle loads as active.
    bm.licenseFile.parseOfflineFile(out);
    bm.licenseFile.saveLicenseFile();
    assert.equal(bm.loadBundle().licenseActive, true);

    // A file whose date was changed no longer matches its offline_signature.
    const tampered = JSON.parse(Buffer.from(content, 'base64').toString());
    tampered[included[0]].date = 'Thu, 01 Jan 2099 00:00:00 GMT';
    assert.throws(() => bm.licenseAPI.checkBundleOffline(Buffer.from(JSON.stringify(tampered)).toString('base64')),
      (error) => error.code === 'license_signature_invalid');
  });

  it('refuses a product that is not a bundle', async () => {
    const lic = lt.createLicense();
    await expectApiError(() => lt.api().activateBundle({ product: lic.product, hardware_id: uniq('hw'), license_key: lic.license_key }),
      400, 'unknown_product');
  });
});
