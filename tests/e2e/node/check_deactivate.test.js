'use strict';
// check_license and deactivate_license through LicenseAPI (exact server codes).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, sleep, nextSecond, isoSecondsFromNow, expectApiError, expectOk, assertLicenseShape } = require('./helpers/latch');

const lt = new Latch('check');
before(() => lt.start());
after(() => lt.stop());

const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });
const activate = (lic, hw, extra = {}) => expectOk(() => lt.api().activateLicense({ ...ident(lic, hw), ...extra }));
const check = (lic, hw, extra = {}) => lt.api().checkLicense({ ...ident(lic, hw), ...extra });
const deactivate = (lic, hw) => lt.api().deactivateLicense(ident(lic, hw));

describe('check_license: success', () => {
  it('returns the active license for the activated device, signed', async () => {
    const lic = lt.createLicense({ maxActivations: 2 });
    const hw = uniq('hw-check');
    const act = await activate(lic, hw);
    const res = await expectOk(() => check(lic, hw));
    assertLicenseShape(res);
    assert.equal(res.id, lic.license_id);
    assert.equal(res.license_key, lic.license_key);
    assert.equal(res.hardware_id, hw);
    assert.equal(res.license_active, true);
    assert.equal(res.license_enabled, true);
    assert.equal(res.is_expired, false);
    assert.equal(res.license_type, 'perpetual');
    assert.equal(res.max_activations, 2);
    assert.equal(res.times_activated, 1);
    assert.equal(res.device_id, act.device_id);
    assert.equal(res.validity_period, null);
    assert.equal(res.product_details.short_code, lt.product.code);
  });

  it('time-limited license: validity_period is echoed and signed', async () => {
    const lic = lt.createLicense({ type: 'time-limited', validUntil: '2033-03-04' });
    const hw = uniq('hw-check-tl');
    await activate(lic, hw);
    const res = await expectOk(() => check(lic, hw));
    assert.equal(res.validity_period, '2033-03-04T00:00:00.000Z');
    assert.equal(res.license_type, 'time-limited');
  });

  it('license_id sent by the SDK (as a query string) is accepted', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-check-id');
    await activate(lic, hw);
    const res = await expectOk(() => check(lic, hw, { license_id: lic.license_id }));
    assert.equal(res.id, lic.license_id);
  });
});

describe('check_license: errors', () => {
  const cases = [
    { code: 'unknown_product', prepare: async () => ({ lic: { ...lt.createLicense(), product: uniq('nope') } }) },
    { code: 'license_not_found', prepare: async () => ({ lic: { product: lt.product.code, license_key: 'YYYY-YYYY-YYYY-YYYY' } }) },
    {
      code: 'license_not_enabled',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        lt.cli('license', 'disable', lic.license_key);
        assert.equal(lt.showLicense(lic.license_key).enabled, false);
        return { lic, hw };
      },
    },
    {
      code: 'license_not_active',
      name: 'never activated',
      prepare: async () => ({ lic: lt.createLicense() }),
    },
    {
      code: 'device_not_found',
      name: 'active on another hardware id',
      prepare: async () => {
        const lic = lt.createLicense({ maxActivations: 2 });
        await activate(lic, uniq('hw-other'));
        return { lic };
      },
    },
    {
      code: 'blacklisted',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        assert.equal(lt.cli('device', 'blacklist', '--license', lic.license_key, '--hardware-id', hw).blacklisted, true);
        return { lic, hw };
      },
    },
    {
      code: 'vm_not_allowed',
      prepare: async () => {
        const lic = lt.createLicense({ preventVm: true });
        const hw = uniq('hw');
        await activate(lic, hw, { is_vm: false });
        return { lic, hw, extra: { is_vm: true } };
      },
    },
    {
      code: 'license_expired',
      name: 'validity passes while active',
      prepare: async () => {
        const validUntil = isoSecondsFromNow(3000);
        const lic = lt.createLicense({ type: 'time-limited', validUntil });
        const hw = uniq('hw');
        const act = await activate(lic, hw);
        assert.equal(act.validity_period, validUntil);
        await sleep(Date.parse(validUntil) - Date.now() + 1200);
        return { lic, hw };
      },
    },
    {
      code: 'license_not_active',
      name: 'after the only device was deactivated',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        assert.equal(await deactivate(lic, hw), true);
        await nextSecond(); // the same deactivation again
        return { lic, hw };
      },
    },
  ];

  for (const c of cases) {
    it(`400 ${c.code}${c.name ? ` (${c.name})` : ''}`, async () => {
      const { lic, hw = uniq(`hw-${c.code}`), extra = {} } = await c.prepare();
      await expectApiError(() => check(lic, hw, extra), 400, c.code);
    });
  }
});

describe('deactivate_license', () => {
  it('success answers "license_deactivated" (SDK returns true), frees the slot and marks the device inactive', async () => {
    const lic = lt.createLicense({ maxActivations: 1 });
    const hw = uniq('hw-deact');
    const act = await activate(lic, hw);
    assert.equal(await expectOk(() => deactivate(lic, hw), { signed: false }), true);
    assert.equal(lt.showLicense(lic.license_key).times_activated, 0);
    const [dev] = lt.devices(lic.license_key);
    assert.equal(dev.hardware_id, hw);
    assert.equal(dev.active, false);
    // The freed slot can be used by another device.
    const other = await activate(lic, uniq('hw-next'));
    assert.equal(other.times_activated, 1);
    assert.notEqual(other.device_id, act.device_id);
  });

  it('re-activating the same hardware id after deactivation → 200 and counts again', async () => {
    const lic = lt.createLicense({ maxActivations: 1 });
    const hw = uniq('hw-again');
    await activate(lic, hw);
    assert.equal(await deactivate(lic, hw), true);
    await nextSecond(); // the same activation again
    const res = await activate(lic, hw);
    assert.equal(res.times_activated, 1);
    assert.equal(res.hardware_id, hw);
    const checked = await expectOk(() => check(lic, hw));
    assert.equal(checked.license_active, true);
    // ... and the limit applies again.
    await expectApiError(() => lt.api().activateLicense(ident(lic, uniq('hw-3rd'))), 400, 'license_activated_max_times');
  });

  const cases = [
    {
      code: 'device_not_found',
      name: 'second deactivation of the same device',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        assert.equal(await deactivate(lic, hw), true);
        await nextSecond(); // the same deactivation again
        return { lic, hw };
      },
    },
    {
      code: 'device_not_found',
      name: 'hardware id never activated',
      prepare: async () => {
        const lic = lt.createLicense({ maxActivations: 2 });
        await activate(lic, uniq('hw-someone'));
        return { lic, activeAfter: 1 };
      },
    },
    { code: 'unknown_product', prepare: async () => ({ lic: { ...lt.createLicense(), product: uniq('nope') } }) },
    { code: 'license_not_found', prepare: async () => ({ lic: { product: lt.product.code, license_key: 'XXXX-XXXX-XXXX-XXXX' } }) },
  ];
  for (const c of cases) {
    it(`400 ${c.code}${c.name ? ` (${c.name})` : ''}`, async () => {
      const { lic, hw = uniq(`hw-${c.code}`), activeAfter = 0 } = await c.prepare();
      await expectApiError(() => deactivate(lic, hw), 400, c.code);
      if (lic.license_id) assert.equal(lt.showLicense(lic.license_key).times_activated, activeAfter);
    });
  }
});
