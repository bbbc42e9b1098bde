'use strict';
// add_consumption / add_feature_consumption through the Node SDK: limits, overages, refunds and every error code
// of contract part 2, via LicenseAPI (exact codes), LicenseManager.addConsumption/addFeatureConsumption and the
// License object's local-consumption sync (License.check() → add_consumption / add_feature_consumption).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, nextSecond, expectApiError, expectOk } = require('./helpers/latch');

const lt = new Latch('consumption');
before(async () => {
  await lt.start();
  // Product features used by every feature test (granted per license below).
  lt.addProductFeature(lt.product.code, 'fcons', 'consumption');
  lt.addProductFeature(lt.product.code, 'fover', 'consumption');
  lt.addProductFeature(lt.product.code, 'fneg', 'consumption');
  lt.addProductFeature(lt.product.code, 'fungranted', 'consumption');
  lt.addProductFeature(lt.product.code, 'fact', 'activation');
});
after(() => lt.stop());

const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });

/** A license of FLAGS with one active device; returns {lic, id}. */
async function activeLicense(flags) {
  const lic = lt.createLicenseWith(lt.product.code, flags);
  const id = ident(lic, uniq('hw-cons'));
  await expectOk(() => lt.api().activateLicense(id));
  return { lic, id };
}

// Each step: add `n` (with optional client payload extras); `total` = expected new total, or `code` = expected error
// (the total must then stay unchanged).
const licenseScenarios = [
  {
    name: 'hard limit without overages (client-sent allow_overages/max_overages ignored)',
    flags: ['--type', 'consumption', '--max-consumptions', 10],
    expect: { max_consumptions: 10, allow_overages: false, max_overages: 0, allow_negative_consumptions: false, allow_unlimited_consumptions: false },
    steps: [
      { n: 4, total: 4 },
      { n: 6, total: 10 },
      { n: 1, code: 'license_not_enough_consumptions' },
      { n: 1, extra: { allow_overages: true, max_overages: 50 }, code: 'license_not_enough_consumptions' },
    ],
  },
  {
    name: 'overages: max_consumptions + max_overages is the ceiling',
    flags: ['--type', 'consumption', '--max-consumptions', 10, '--max-overages', 5],
    expect: { max_consumptions: 10, allow_overages: true, max_overages: 5 },
    steps: [
      { n: 10, total: 10 },
      { n: 5, total: 15 },
      { n: 1, code: 'license_not_enough_consumptions' },
      { n: 1, extra: { allow_overages: true, max_overages: 100 }, code: 'license_not_enough_consumptions' },
    ],
  },
  {
    name: 'one request beyond the ceiling is refused whole, not partially applied',
    flags: ['--type', 'consumption', '--max-consumptions', 5],
    expect: { max_consumptions: 5 },
    steps: [
      { n: 3, total: 3 },
      { n: 3, code: 'license_not_enough_consumptions' },
      { n: 2, total: 5 },
    ],
  },
  {
    name: 'refunds (negative consumptions) down to exactly zero, never below',
    flags: ['--type', 'consumption', '--max-consumptions', 10, '--allow-negative-consumptions'],
    expect: { allow_negative_consumptions: true },
    steps: [
      { n: 7, total: 7 },
      { n: -3, total: 4 },
      { n: -4, total: 0 },
      { n: -1, code: 'negative_consumptions_not_allowed' },
      { n: 2, total: 2 },
      { n: -3, code: 'negative_consumptions_not_allowed' },
    ],
  },
  {
    name: 'negative consumptions refused without --allow-negative-consumptions',
    flags: ['--type', 'consumption', '--max-consumptions', 10],
    expect: { allow_negative_consumptions: false },
    steps: [
      { n: 3, total: 3 },
      { n: -1, code: 'negative_consumptions_not_allowed' },
    ],
  },
  {
    name: 'unlimited consumptions',
    flags: ['--type', 'consumption', '--unlimited-consumptions'],
    expect: { allow_unlimited_consumptions: true },
    steps: [
      { n: 1_000_000, total: 1_000_000 },
      { n: 1, total: 1_000_001 },
    ],
  },
  {
    name: 'a perpetual license is not a consumption license',
    flags: ['--type', 'perpetual'],
    steps: [{ n: 1, code: 'license_not_consumption' }],
  },
  {
    name: 'a time-limited license is not a consumption license either',
    flags: ['--type', 'time-limited', '--valid-until', '2040-01-01'],
    steps: [{ n: 1, code: 'license_not_consumption' }],
  },
];

describe('add_consumption (LicenseAPI.addConsumption)', () => {
  for (const sc of licenseScenarios) {
    it(sc.name, async () => {
      const { lic, id } = await activeLicense(sc.flags);
      const api = lt.api();
      let total = 0;
      for (const [i, step] of sc.steps.entries()) {
        if (sc.steps.slice(0, i).some((earlier) => earlier.n === step.n)) await nextSecond(); // the same call again
        const call = () => api.addConsumption({ ...id, consumptions: step.n, ...(step.extra || {}) });
        if (step.code) {
          await expectApiError(call, 400, step.code);
        } else {
          const res = await expectOk(call);
          total = step.total;
          assert.equal(res.id, lic.license_id, `step ${i}: id is the license id`);
          assert.equal(res.total_consumptions, total, `step ${i}: total_consumptions`);
          for (const k of ['max_consumptions', 'max_overages']) assert.ok(Number.isInteger(res[k]), `${k} must be an integer`);
          for (const [k, v] of Object.entries(sc.expect || {})) assert.equal(res[k], v, `step ${i}: ${k}`);
        }
        assert.equal(lt.showLicense(lic.license_key).total_consumptions, total, `step ${i}: server total after ${step.n}`);
      }
      if (sc.expect) {
        // check_license carries the same counters
        const chk = await expectOk(() => api.checkLicense(id));
        assert.equal(chk.license_type, 'consumption');
        assert.equal(chk.total_consumptions, total);
        for (const [k, v] of Object.entries(sc.expect)) assert.equal(chk[k], v, `check: ${k}`);
      }
    });
  }

  it('needs an active device: unknown device → device_not_found', async () => {
    const { lic } = await activeLicense(['--type', 'consumption', '--max-consumptions', 3]);
    await expectApiError(() => lt.api().addConsumption({ ...ident(lic, uniq('hw-stranger')), consumptions: 1 }), 400, 'device_not_found');
    assert.equal(lt.showLicense(lic.license_key).total_consumptions, 0);
  });
});

describe('consumption through LicenseManager / License', () => {
  it('LicenseManager.addConsumption updates server and license file; License local consumptions sync on check()', async () => {
    const lic = lt.createLicenseWith(lt.product.code, ['--type', 'consumption', '--max-consumptions', 10, '--max-activations', 2]);
    const lm = lt.manager({ hardwareID: uniq('hw-lmcons') });
    await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));

    const res = await expectOk(() => lm.addConsumption({ license_key: lic.license_key, consumptions: 2 }));
    assert.equal(res.total_consumptions, 2);
    let license = lm.loadLicense();
    assert.equal(license.currentLicenseData.license.total_consumptions, 2);
    assert.equal(license.currentLicenseData.localConsumptions, 0);

    license.addLocalConsumption(3);
    assert.equal(license.currentLicenseData.localConsumptions, 3);
    const chk = await expectOk(() => license.check());
    assert.equal(chk.total_consumptions, 2, 'check answer is taken before the sync');
    assert.equal(lt.showLicense(lic.license_key).total_consumptions, 5, 'License.check() must have synced the 3 local consumptions');
    license = lm.loadLicense();
    assert.equal(license.currentLicenseData.license.total_consumptions, 5);
    assert.equal(license.currentLicenseData.localConsumptions, 0);

    // Another device consumes 4 on the server; this device's cache still says 5, so its local +3 passes the SDK's
    // local limit check, and the server must refuse the sync (gracePeriod 0: its code reaches the caller).
    const other = ident(lic, uniq('hw-other'));
    await expectOk(() => lt.api().activateLicense(other));
    await expectOk(() => lt.api().addConsumption({ ...other, consumptions: 4 }));
    license.addLocalConsumption(3);
    await nextSecond(); // the same sync of 3 consumptions again
    await expectApiError(() => license.check(), 400, 'license_not_enough_consumptions');
    assert.equal(lt.showLicense(lic.license_key).total_consumptions, 9);
    await expectApiError(() => lm.addConsumption({ license_key: lic.license_key, consumptions: 2 }), 400, 'license_not_enough_consumptions');
    const ok = await expectOk(() => lm.addConsumption({ license_key: lic.license_key, consumptions: 1 }));
    assert.equal(ok.total_consumptions, 10);
    assert.equal(lt.showLicense(lic.license_key).total_consumptions, 10);
  });
});

// --- feature consumptions ------------------------------------------------------------------------------------

const featureGrants = [
  ['fcons', ['--max-consumptions', 4]],
  ['fover', ['--max-consumptions', 4, '--max-overages', 2]],
  ['fneg', ['--max-consumptions', 4, '--allow-negative-consumptions']],
  ['fact', []],
];

async function featureLicense() {
  const lic = lt.createLicenseWith(lt.product.code, ['--max-activations', 3]);
  for (const [code, flags] of featureGrants) {
    const out = lt.addLicenseFeature(lic, code, flags);
    assert.equal(out.feature, code);
    assert.equal(out.license_id, lic.license_id);
  }
  const id = ident(lic, uniq('hw-fcons'));
  const act = await expectOk(() => lt.api().activateLicense(id));
  return { lic, id, act };
}

const featureScenarios = [
  {
    feature: 'fcons',
    expect: { max_consumptions: 4, allow_overages: false, allow_negative_consumptions: false },
    steps: [{ n: 3, total: 3 }, { n: 1, total: 4 }, { n: 1, code: 'feature_not_enough_consumptions' }, { n: -1, code: 'negative_consumptions_not_allowed' }],
  },
  {
    feature: 'fover',
    expect: { max_consumptions: 4, allow_overages: true, max_overages: 2 },
    steps: [{ n: 4, total: 4 }, { n: 2, total: 6 }, { n: 1, code: 'feature_not_enough_consumptions' }],
  },
  {
    feature: 'fneg',
    expect: { allow_negative_consumptions: true },
    steps: [{ n: 2, total: 2 }, { n: -2, total: 0 }, { n: -1, code: 'negative_consumptions_not_allowed' }],
  },
];

describe('add_feature_consumption (LicenseAPI.addFeatureConsumption)', () => {
  it('the activation body lists the granted features with their consumption settings', async () => {
    const { act } = await featureLicense();
    const byCode = Object.fromEntries(act.product_features.map((f) => [f.code, f]));
    assert.deepEqual(Object.keys(byCode).sort(), ['fact', 'fcons', 'fneg', 'fover']);
    assert.equal(byCode.fcons.feature_type, 'consumption');
    assert.equal(byCode.fcons.max_consumption, 4);
    assert.equal(byCode.fcons.total_consumptions, 0);
    assert.equal(byCode.fover.max_overages, 2);
    assert.equal(byCode.fover.allow_overages, true);
    assert.equal(byCode.fneg.allow_negative_consumptions, true);
    assert.equal(byCode.fact.feature_type, 'activation');
  });

  for (const sc of featureScenarios) {
    it(`feature ${sc.feature}: ${sc.steps.map((s) => s.n).join(', ')}`, async () => {
      const { lic, id } = await featureLicense();
      const api = lt.api();
      let total = 0;
      for (const [i, step] of sc.steps.entries()) {
        if (sc.steps.slice(0, i).some((earlier) => earlier.n === step.n)) await nextSecond(); // the same call again
        const call = () => api.addFeatureConsumption({ ...id, feature: sc.feature, consumptions: step.n });
        if (step.code) {
          await expectApiError(call, 400, step.code);
        } else {
          const res = await expectOk(call);
          total = step.total;
          assert.equal(res.license_id, lic.license_id);
          assert.equal(res.total_consumptions, total, `step ${i}`);
          for (const [k, v] of Object.entries(sc.expect)) assert.equal(res[k], v, `step ${i}: ${k}`);
        }
        const shown = lt.showLicense(lic.license_key).features.find((f) => f.code === sc.feature);
        assert.ok(shown, `license show lists feature ${sc.feature}`);
        assert.equal(shown.total_consumptions, total, `step ${i}: server feature total`);
      }
      const chk = await expectOk(() => api.checkLicense(id));
      assert.equal(chk.product_features.find((f) => f.code === sc.feature).total_consumptions, total);
    });
  }

  const unsupported = [
    ['an activation feature', 'fact'],
    ['a feature the product does not have', 'no-such-feature'],
    ['a product feature not granted to this license', 'fungranted'],
  ];
  for (const [what, feature] of unsupported) {
    it(`${what} → unsupported_product_feature`, async () => {
      const { id } = await featureLicense();
      await expectApiError(() => lt.api().addFeatureConsumption({ ...id, feature, consumptions: 1 }), 400, 'unsupported_product_feature');
    });
  }

  it('LicenseManager.addFeatureConsumption and License local feature consumptions (synced by check())', async () => {
    const { lic } = await featureLicense();
    const lm = lt.manager({ hardwareID: uniq('hw-lmf') });
    await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    const res = await expectOk(() => lm.addFeatureConsumption({ license_key: lic.license_key, feature: 'fcons', consumptions: 1 }));
    assert.equal(res.total_consumptions, 1);
    const license = lm.loadLicense();
    license.addLocalFeatureConsumption('fcons', 2);
    await expectOk(() => license.check());
    const fTotal = () => lt.showLicense(lic.license_key).features.find((f) => f.code === 'fcons').total_consumptions;
    assert.equal(fTotal(), 3, 'License.check() must have synced the 2 local feature consumptions');
    // Another device takes the last one; the stale local cache lets +1 through, the server must refuse it.
    const other = ident(lic, uniq('hw-other-f'));
    await expectOk(() => lt.api().activateLicense(other));
    await expectOk(() => lt.api().addFeatureConsumption({ ...other, feature: 'fcons', consumptions: 1 }));
    license.addLocalFeatureConsumption('fcons', 1);
    await expectApiError(() => license.check(), 400, 'feature_not_enough_consumptions');
    await expectApiError(() => lm.addFeatureConsumption({ license_key: lic.license_key, feature: 'fact', consumptions: 1 }), 400, 'unsupported_product_feature');
    assert.equal(fTotal(), 4);
  });
});
