'use strict';
// The SDK's high-level flow (LicenseManager + License) against latch, as an application would use it.
// gracePeriod is 0 so the high-level calls that normally swallow errors rethrow them; every step is also
// cross-checked against the server state (CLI / LicenseAPI) so a silently skipped request cannot pass.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, nextSecond, expectApiError, expectOk, ISO_MS_Z } = require('./helpers/latch');

const lt = new Latch('manager');
before(() => lt.start());
after(() => lt.stop());

describe('LicenseManager / License happy path', () => {
  it('activate → check → product details → device variables → deactivate → reactivate', async () => {
    const lic = lt.createLicense({ type: 'time-limited', validUntil: '2035-01-02', maxActivations: 2 });
    const hw = uniq('hw-lm');
    const lm = lt.manager({ hardwareID: hw });
    const ident = { product: lic.product, hardware_id: hw, license_key: lic.license_key };

    // activate
    const act = await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    assert.equal(act.license_key, lic.license_key);
    assert.equal(act.hardware_id, hw);
    assert.equal(act.times_activated, 1);
    assert.equal(act.max_activations, 2);
    assert.equal(act.validity_period, '2035-01-02T00:00:00.000Z');
    assert.equal(lt.showLicense(lic.license_key).times_activated, 1);

    const license = lm.loadLicense();
    assert.equal(license.licenseActive, true);
    assert.equal(license.licenseEnabled, true);
    assert.equal(license.id, lic.license_id);
    assert.equal(license.licenseType, 'time-limited');
    assert.equal(license.maxActivations, 2);
    assert.equal(license.isValid, true);

    // License.check() (sends license_id too) and LicenseManager.checkLicense()
    const chk = await expectOk(() => license.check());
    assert.equal(chk.license_active, true);
    assert.equal(chk.license_enabled, true);
    assert.equal(chk.is_expired, false);
    assert.equal(chk.hardware_id, hw);
    assert.equal(chk.device_id, act.device_id);
    const chk2 = await expectOk(() => lm.checkLicense({ license_key: lic.license_key }));
    assert.equal(chk2.license_key, lic.license_key);

    // product details, stored on the license
    const pd = await expectOk(() => license.productDetails());
    assert.equal(pd.short_code, lt.product.code);
    assert.equal(pd.product_id, lt.product.product_id);
    assert.equal(lm.loadLicense().productDetailsLocal.short_code, lt.product.code);
    const pd2 = await expectOk(() => lm.getProductDetails({}));
    assert.equal(pd2.product_name, lt.product.name);

    // device variables: License.setDeviceVariables / getDeviceVariables
    license.setDeviceVariablesLocal({ theme: 'dark', seats: 3 });
    await expectOk(() => license.setDeviceVariables(true));
    await expectOk(() => license.getDeviceVariables());
    const local = license.getDeviceVariablesLocal();
    assert.deepEqual(Object.fromEntries(local.map((v) => [v.variable, v.value])), { theme: 'dark', seats: '3' });
    for (const v of local) {
      // Replaced by the server's items, not the local {variable, value} pairs.
      assert.ok(Number.isInteger(v.id), 'getDeviceVariables must store the server items');
      assert.match(v.created_at, ISO_MS_Z);
      assert.equal(v.device_id, act.device_id);
    }
    // LicenseManager.trackDeviceVariables stores the response as variables
    const tracked = await expectOk(() => lm.trackDeviceVariables({ license_key: lic.license_key, variables: { theme: 'light' } }));
    assert.equal(tracked.find((v) => v.variable === 'theme').value, 'light');
    const all = await expectOk(() => lm.getDeviceVariables({ license_key: lic.license_key }));
    assert.deepEqual(Object.fromEntries(all.map((v) => [v.variable, v.value])), { theme: 'light', seats: '3' });
    const viaApi = await expectOk(() => lt.api().getDeviceVariables(ident));
    assert.deepEqual(Object.fromEntries(viaApi.map((v) => [v.variable, v.value])), { theme: 'light', seats: '3' });

    // activating again while active → 409, local file untouched
    await nextSecond(); // the same activation again
    await expectApiError(() => lm.activateLicense({ license_key: lic.license_key }), 409, 'license_device_exists');
    assert.equal(lm.loadLicense().licenseActive, true);

    // deactivate
    const lic2 = lm.loadLicense();
    await expectOk(() => lic2.deactivate(), { signed: false });
    assert.equal(lic2.licenseActive, false);
    assert.equal(lm.loadLicense().licenseActive, false);
    assert.equal(lt.showLicense(lic.license_key).times_activated, 0);
    assert.deepEqual(lt.devices(lic.license_key).map((d) => [d.hardware_id, d.active]), [[hw, false]]);

    // server now says license_not_active; LicenseManager.checkLicense rethrows the body and records it
    await expectApiError(() => lm.checkLicense({ license_key: lic.license_key }), 400, 'license_not_active');
    assert.equal(lm.loadLicense().licenseActive, false);

    // reactivation of the same device succeeds and counts again
    await nextSecond(); // the same activation again
    const again = await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    assert.equal(again.times_activated, 1);
    assert.equal(lm.loadLicense().licenseActive, true);
    const chk3 = await expectOk(() => lm.loadLicense().check());
    assert.equal(chk3.license_active, true);
  });

  it('LicenseManager.deactivateLicense then low-level deactivate again → device_not_found', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-lm-deact');
    const lm = lt.manager({ hardwareID: hw });
    await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    assert.equal(await expectOk(() => lm.deactivateLicense({ license_key: lic.license_key }), { signed: false }), true);
    assert.equal(lm.loadLicense().licenseActive, false);
    await expectApiError(
      () => lt.api().deactivateLicense({ product: lic.product, hardware_id: hw, license_key: lic.license_key }),
      400, 'device_not_found',
    );
  });

  // LicenseManager rethrows the raw server body for every activation/check error.
  const managerErrors = [
    { code: 'license_not_found', prepare: () => ({ key: 'VVVV-VVVV-VVVV-VVVV' }) },
    { code: 'license_not_enabled', prepare: () => ({ key: lt.createLicense({ disabled: true }).license_key }) },
    { code: 'license_expired', prepare: () => ({ key: lt.createLicense({ type: 'time-limited', validUntil: '2021-06-01' }).license_key }) },
  ];
  for (const c of managerErrors) {
    it(`LicenseManager.activateLicense: 400 ${c.code}`, async () => {
      const { key } = c.prepare();
      const lm = lt.manager({ hardwareID: uniq('hw-lm-err') });
      await expectApiError(() => lm.activateLicense({ license_key: key }), 400, c.code);
    });
  }
});
