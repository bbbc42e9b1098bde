'use strict';
// activate_license through LicenseAPI (exact server codes) — success fields and every activation error.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, nextSecond, expectApiError, expectOk, assertLicenseShape } = require('./helpers/latch');

const lt = new Latch('activate');
before(() => lt.start({ products: [{ as: 'vmProduct', label: 'novm', preventVm: true }] }));
after(() => lt.stop());

const activate = (api, lic, hw, extra = {}) =>
  api.activateLicense({ product: lic.product, hardware_id: hw, license_key: lic.license_key, ...extra });

describe('activate_license: success', () => {
  it('returns the license with real values, signed (header + license_signature verified by the SDK)', async () => {
    const lic = lt.createLicense({ maxActivations: 3 });
    const hw = uniq('hw-ok');
    const api = lt.api();
    const res = await expectOk(() => activate(api, lic, hw, { os_ver: 'linux', hostname: 'box', app_ver: '1.0.0' }));
    assertLicenseShape(res);
    assert.equal(res.id, lic.license_id);
    assert.equal(res.license_key, lic.license_key);
    assert.equal(res.license_type, 'perpetual');
    assert.equal(res.max_activations, 3);
    assert.equal(res.times_activated, 1);
    assert.equal(res.validity_period, null);
    assert.equal(res.hardware_id, hw);
    assert.equal(res.is_trial, false);
    assert.equal(res.is_expired, false);
    assert.equal(res.prevent_vm, false);
    assert.equal(res.is_floating, false);
    assert.equal(res.is_floating_cloud, false);
    assert.equal(res.product_details.short_code, lt.product.code);
    assert.equal(res.product_details.product_id, lt.product.product_id);
    assert.equal(res.product_details.product_name, lt.product.name);

    const shown = lt.showLicense(lic.license_key);
    assert.equal(shown.times_activated, 1);
    const devices = lt.devices(lic.license_key);
    assert.equal(devices.length, 1);
    assert.equal(devices[0].hardware_id, hw);
    assert.equal(devices[0].active, true);
    assert.equal(devices[0].id, res.device_id);
  });

  it('times_activated counts each new device up to max_activations', async () => {
    const lic = lt.createLicense({ maxActivations: 3 });
    const api = lt.api();
    for (const n of [1, 2, 3]) {
      const res = await expectOk(() => activate(api, lic, uniq(`hw-count${n}`)));
      assert.equal(res.times_activated, n);
      assert.equal(res.max_activations, 3);
    }
    assert.equal(lt.showLicense(lic.license_key).times_activated, 3);
  });

  // validity_period must be ISO-8601 UTC with milliseconds and Z, and the v1 signature covers it.
  const timeLimited = [
    { validUntil: '2031-05-06', expected: '2031-05-06T00:00:00.000Z' },
    { validUntil: '2032-11-30T12:34:56Z', expected: '2032-11-30T12:34:56.000Z' },
  ];
  for (const { validUntil, expected } of timeLimited) {
    it(`time-limited license valid until ${validUntil} → validity_period ${expected}`, async () => {
      const lic = lt.createLicense({ type: 'time-limited', validUntil });
      const res = await expectOk(() => activate(lt.api(), lic, uniq('hw-tl')));
      assert.equal(res.license_type, 'time-limited');
      assert.equal(res.validity_period, expected);
      assert.equal(res.is_expired, false);
      // CLI date format is not part of the contract: compare instants only.
      assert.equal(Date.parse(lt.showLicense(lic.license_key).validity_period), Date.parse(expected));
    });
  }

  it('a start date in the past allows activation and is echoed as ISO', async () => {
    const lic = lt.createLicense({ startDate: '2020-02-03' });
    const res = await expectOk(() => activate(lt.api(), lic, uniq('hw-start')));
    assert.equal(res.start_date, '2020-02-03T00:00:00.000Z');
  });

  it('is_vm=true on a license without prevent-vm is accepted', async () => {
    const lic = lt.createLicense();
    const res = await expectOk(() => activate(lt.api(), lic, uniq('hw-vm-ok'), { is_vm: true, vm_info: 'kvm' }));
    assert.equal(res.times_activated, 1);
    assert.equal(res.prevent_vm, false);
  });

  it('activation with variables stores them on the device', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-actvars');
    const api = lt.api();
    await expectOk(() => activate(api, lic, hw, { variables: { seat: 'A1', build: '77' } }));
    const vars = await expectOk(() => api.getDeviceVariables({ product: lic.product, hardware_id: hw, license_key: lic.license_key }));
    const byName = Object.fromEntries(vars.map((v) => [v.variable, v.value]));
    assert.deepEqual(byName, { seat: 'A1', build: '77' });
  });
});

describe('activate_license: errors', () => {
  // Each case builds its own license/hardware id; `prepare` returns the activation payload overrides.
  const cases = [
    {
      code: 'unknown_product',
      prepare: () => ({ lic: { ...lt.createLicense(), product: uniq('no-such-product') } }),
    },
    {
      code: 'license_not_found',
      prepare: () => ({ lic: { product: lt.product.code, license_key: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' } }),
    },
    {
      code: 'license_not_enabled',
      prepare: () => ({ lic: lt.createLicense({ disabled: true }) }),
    },
    {
      code: 'license_start_date_error',
      prepare: () => ({ lic: lt.createLicense({ startDate: '2099-01-01' }) }),
    },
    {
      code: 'license_expired',
      prepare: () => ({ lic: lt.createLicense({ type: 'time-limited', validUntil: '2020-01-01' }) }),
    },
    {
      code: 'blacklisted',
      prepare: () => {
        const lic = lt.createLicense({ maxActivations: 5 });
        const hw = uniq('hw-black');
        const out = lt.cli('device', 'blacklist', '--license', lic.license_key, '--hardware-id', hw);
        assert.equal(out.hardware_id, hw);
        assert.equal(out.blacklisted, true);
        return { lic, hw };
      },
    },
    {
      code: 'vm_not_allowed',
      name: 'license --prevent-vm, is_vm=true',
      prepare: () => ({ lic: lt.createLicense({ preventVm: true }), extra: { is_vm: true } }),
    },
    {
      code: 'vm_not_allowed',
      name: 'product --prevent-vm (license inherits), is_vm=true',
      prepare: () => ({ lic: lt.createLicense({ product: lt.vmProduct.code }), extra: { is_vm: true } }),
    },
    {
      code: 'license_activated_max_times',
      prepare: async () => {
        const lic = lt.createLicense({ maxActivations: 1 });
        await expectOk(() => activate(lt.api(), lic, uniq('hw-first')));
        return { lic, activeBefore: 1 };
      },
    },
    {
      code: 'license_device_exists',
      status: 409,
      prepare: async () => {
        const lic = lt.createLicense({ maxActivations: 2 });
        const hw = uniq('hw-twice');
        await expectOk(() => activate(lt.api(), lic, hw));
        await nextSecond(); // the same activation again
        return { lic, hw, activeBefore: 1 };
      },
    },
  ];

  for (const c of cases) {
    const status = c.status || 400;
    it(`${status} ${c.code}${c.name ? ` (${c.name})` : ''}`, async () => {
      const { lic, hw = uniq(`hw-${c.code}`), extra = {}, activeBefore = 0 } = await c.prepare();
      await expectApiError(() => activate(lt.api(), lic, hw, extra), status, c.code);
      // A refused activation must not count.
      if (lic.license_id) assert.equal(lt.showLicense(lic.license_key).times_activated, activeBefore);
    });
  }

  it('a vm_not_allowed license still activates with is_vm=false', async () => {
    const lic = lt.createLicense({ preventVm: true });
    const res = await expectOk(() => activate(lt.api(), lic, uniq('hw-novm'), { is_vm: false }));
    assert.equal(res.prevent_vm, true);
  });
});
