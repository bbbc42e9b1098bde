'use strict';
// product_details through LicenseAPI.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, expectApiError, expectOk } = require('./helpers/latch');

const lt = new Latch('product-details');
before(() => lt.start({
  products: [
    { as: 'vmProduct', label: 'pd-novm', preventVm: true, name: 'No VMs Here' },
    { as: 'fancy', label: 'pd-fancy', name: 'Prodüct «é» / "quoted" \\ back\tslash ✓ 😀' },
  ],
}));
after(() => lt.stop());

describe('product_details', () => {
  const table = [
    { as: 'product', preventVm: false },
    { as: 'vmProduct', preventVm: true },
    { as: 'fancy', preventVm: false, note: 'non-ASCII/escaped name still verifies' },
  ];
  for (const { as, preventVm, note } of table) {
    it(`returns the product's real fields: ${as}${note ? ` (${note})` : ''}`, async () => {
      const p = lt[as];
      const res = await expectOk(() => lt.api().getProductDetails({ product: p.code }));
      assert.equal(res.product_id, p.product_id);
      assert.equal(res.product_name, p.name);
      assert.equal(res.short_code, p.code);
      assert.equal(res.authorization_method, 'license-key');
      assert.equal(res.prevent_vm, preventVm);
      assert.equal(typeof res.allow_trial, 'boolean');
      assert.ok(Number.isInteger(res.trial_days));
      assert.equal(typeof res.metadata, 'object');
      assert.ok(res.metadata !== null && !Array.isArray(res.metadata));
      assert.deepEqual(res.company, { id: lt.company.company_id });
    });
  }

  it('include_latest_version / include_custom_fields add latest_version (null: no releases) and custom_fields ([])', async () => {
    const res = await expectOk(() => lt.api().getProductDetails({
      product: lt.product.code, include_latest_version: true, include_custom_fields: true,
    }));
    assert.equal(res.short_code, lt.product.code);
    assert.ok('latest_version' in res, 'latest_version requested but absent');
    assert.equal(res.latest_version, null);
    assert.deepEqual(res.custom_fields, []);
  });

  it('400 unknown_product', async () => {
    await expectApiError(() => lt.api().getProductDetails({ product: uniq('missing') }), 400, 'unknown_product');
  });
});
