'use strict';
// Bundles through the SDK's BundleManager: a bundle license comes with one license per included
// product; activateBundle / checkBundle verify every element's v1 signature and the header signature.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
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

  it('refuses a product that is not a bundle', async () => {
    const lic = lt.createLicense();
    await expectApiError(() => lt.api().activateBundle({ product: lic.product, hardware_id: uniq('hw'), license_key: lic.license_key }),
      400, 'unknown_product');
  });
});
