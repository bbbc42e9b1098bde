'use strict';
// track_device_variables / get_device_variables through LicenseAPI.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, expectApiError, expectOk, ISO_MS_Z } = require('./helpers/latch');

const lt = new Latch('variables');
before(() => lt.start());
after(() => lt.stop());

const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });
const activate = (lic, hw) => expectOk(() => lt.api().activateLicense(ident(lic, hw)));
const track = (lic, hw, variables) => lt.api().trackDeviceVariables({ ...ident(lic, hw), variables });
const getVars = (lic, hw) => lt.api().getDeviceVariables(ident(lic, hw));
const asMap = (items) => Object.fromEntries(items.map((v) => [v.variable, v.value]));

describe('device variables: success', () => {
  it('track returns {variable, value, device_id, created_at(epoch ms)} and get round-trips the values', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-vars');
    const act = await activate(lic, hw);
    const before = Date.now();
    const tracked = await expectOk(() => track(lic, hw, { color: 'blue', seats: '4', count: 42 }));
    assert.ok(Array.isArray(tracked));
    assert.deepEqual(tracked.map((v) => v.variable).sort(), ['color', 'count', 'seats']);
    for (const item of tracked) {
      assert.equal(item.device_id, act.device_id);
      assert.ok(Number.isInteger(item.created_at), `track created_at must be epoch ms, got ${JSON.stringify(item.created_at)}`);
      assert.ok(Math.abs(item.created_at - before) < 120_000, `created_at ${item.created_at} is not near now`);
    }
    assert.deepEqual(asMap(tracked).color, 'blue');

    const got = await expectOk(() => getVars(lic, hw));
    assert.ok(Array.isArray(got));
    assert.deepEqual(asMap(got), { color: 'blue', seats: '4', count: '42' });
    for (const item of got) {
      assert.ok(Number.isInteger(item.id));
      assert.equal(item.device_id, act.device_id);
      assert.match(item.created_at, ISO_MS_Z);
    }
  });

  it('tracking an existing name overwrites it; other names stay', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-over');
    await activate(lic, hw);
    await expectOk(() => track(lic, hw, { a: '1', b: 'keep' }));
    await expectOk(() => track(lic, hw, { a: '2' }));
    assert.deepEqual(asMap(await expectOk(() => getVars(lic, hw))), { a: '2', b: 'keep' });
  });

  it('variables are per device', async () => {
    const lic = lt.createLicense({ maxActivations: 2 });
    const [hw1, hw2] = [uniq('hw-d1'), uniq('hw-d2')];
    await activate(lic, hw1);
    await activate(lic, hw2);
    await expectOk(() => track(lic, hw1, { who: 'one' }));
    await expectOk(() => track(lic, hw2, { who: 'two' }));
    assert.deepEqual(asMap(await expectOk(() => getVars(lic, hw1))), { who: 'one' });
    assert.deepEqual(asMap(await expectOk(() => getVars(lic, hw2))), { who: 'two' });
  });

  it('a device with no variables gets an empty array', async () => {
    const lic = lt.createLicense();
    const hw = uniq('hw-none');
    await activate(lic, hw);
    assert.deepEqual(await expectOk(() => getVars(lic, hw)), []);
  });
});

describe('device variables: errors', () => {
  const cases = [
    { code: 'unknown_product', prepare: async () => ({ lic: { ...lt.createLicense(), product: uniq('nope') } }) },
    { code: 'license_not_found', prepare: async () => ({ lic: { product: lt.product.code, license_key: 'WWWW-WWWW-WWWW-WWWW' } }) },
    { code: 'license_not_active', name: 'never activated', prepare: async () => ({ lic: lt.createLicense() }) },
    {
      code: 'device_not_found',
      name: 'license active on another device',
      prepare: async () => {
        const lic = lt.createLicense({ maxActivations: 2 });
        await activate(lic, uniq('hw-other'));
        return { lic };
      },
    },
    {
      code: 'license_not_enabled',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        lt.cli('license', 'disable', lic.license_key);
        return { lic, hw };
      },
    },
    {
      code: 'blacklisted',
      prepare: async () => {
        const lic = lt.createLicense();
        const hw = uniq('hw');
        await activate(lic, hw);
        lt.cli('device', 'blacklist', '--license', lic.license_key, '--hardware-id', hw);
        return { lic, hw };
      },
    },
  ];
  const calls = {
    track_device_variables: (lic, hw) => track(lic, hw, { x: '1' }),
    get_device_variables: (lic, hw) => getVars(lic, hw),
  };
  for (const [endpoint, call] of Object.entries(calls)) {
    for (const c of cases) {
      it(`${endpoint}: 400 ${c.code}${c.name ? ` (${c.name})` : ''}`, async () => {
        const { lic, hw = uniq(`hw-${c.code}`) } = await c.prepare();
        await expectApiError(() => call(lic, hw), 400, c.code);
      });
    }
  }
});
