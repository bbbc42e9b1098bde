'use strict';
// Floating cloud licenses and floating features through the Node SDK: seats taken by activation/check,
// floating/release, floating/borrow, check_license_feature seats, floating/feature_borrow and feature_release,
// with every error code of contract part 2. Borrow/release use LicenseAPI and LicenseManager (spec §8: the
// high-level License.floatingBorrow/floatingRelease are inverted in SDK 1.4.17 and never reach the server).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, nextSecond, expectApiError, expectOk, ISO_MS_Z } = require('./helpers/latch');

const lt = new Latch('floating');
before(async () => {
  await lt.start();
  for (const code of ['ffl', 'fnoborrow', 'fplain', 'fungranted']) lt.addProductFeature(lt.product.code, code, 'activation');
});
after(() => lt.stop());

const HOUR = 3600e3;
const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });
const hws = (label, n) => Array.from({ length: n }, (_, i) => uniq(`${label}${i}`));
const deviceOf = (lic, hw) => lt.devices(lic.license_key).find((d) => d.hardware_id === hw);

/** |actual - expected| <= tolerance ms, for server-computed instants. */
function assertNear(actualIso, expectedMs, toleranceMs, what, { wire = true } = {}) {
  if (wire) assert.match(actualIso, ISO_MS_Z, `${what} must be ISO with ms and Z`);
  else assert.ok(!Number.isNaN(Date.parse(actualIso)), `${what}: not a date: ${actualIso}`);
  const diff = Math.abs(Date.parse(actualIso) - expectedMs);
  assert.ok(diff <= toleranceMs, `${what}: ${actualIso} is ${diff} ms away from ${new Date(expectedMs).toISOString()}`);
}

function floatingLicense(flags = []) {
  return lt.createLicenseWith(lt.product.code, ['--floating-users', 2, '--max-activations', 5, '--floating-timeout', 30, ...flags]);
}

describe('floating cloud license: seats via activate / check_license / floating/release', () => {
  it('activation takes a seat, a full license answers floating_not_available, release frees the seat', async () => {
    const lic = floatingLicense(['--max-borrow-time', 4]);
    const [a, b, c] = hws('hw-seat', 3);
    const api = lt.api();

    for (const [n, hw] of [[1, a], [2, b]]) {
      const res = await expectOk(() => api.activateLicense(ident(lic, hw)));
      assert.equal(res.is_floating_cloud, true);
      assert.equal(res.is_floating, false);
      assert.equal(res.floating_users, 2);
      assert.equal(res.floating_timeout, 30);
      assert.equal(res.floating_in_use_devices, n);
      assert.equal(res.can_borrow, true);
      assert.equal(res.max_borrow_time, 4);
      assertNear(deviceOf(lic, hw).floating_until, Date.now() + 30 * 60e3, 60e3, `floating_until of ${hw}`, { wire: false });
    }
    await expectApiError(() => api.activateLicense(ident(lic, c)), 400, 'floating_not_available');
    assert.equal(deviceOf(lic, c), undefined, 'a refused activation must not create an active device');

    // check renews the lease and reports the seats in use
    const chk = await expectOk(() => api.checkLicense(ident(lic, a)));
    assert.equal(chk.floating_in_use_devices, 2);
    assert.equal(chk.is_borrowed, false);
    assert.equal(chk.borrowed_until, null);

    // release a → c can take the seat; a (still an activated device) then finds the license full on check
    assert.equal(await expectOk(() => api.floatingRelease(ident(lic, a)), { signed: false }), true);
    assert.equal(lt.devices(lic.license_key).find((d) => d.hardware_id === a).floating_until, null);
    const actC = await expectOk(() => api.activateLicense(ident(lic, c)));
    assert.equal(actC.floating_in_use_devices, 2);
    await expectApiError(() => api.checkLicense(ident(lic, a)), 400, 'floating_not_available');

    // b releases → a's next check takes the free seat again
    await expectOk(() => api.floatingRelease(ident(lic, b)), { signed: false });
    const again = await expectOk(() => api.checkLicense(ident(lic, a)));
    assert.equal(again.floating_in_use_devices, 2);
    assertNear(deviceOf(lic, a).floating_until, Date.now() + 30 * 60e3, 60e3, 'renewed floating_until', { wire: false });
  });

  it('floating/release of a device that is not on the license → device_not_found', async () => {
    const lic = floatingLicense();
    await expectOk(() => lt.api().activateLicense(ident(lic, uniq('hw-rel'))));
    await expectApiError(() => lt.api().floatingRelease(ident(lic, uniq('hw-stranger'))), 400, 'device_not_found');
  });

  // SDK 1.4.17 note: License.check() on a floating-cloud license that is NOT borrowed always returns null, because it
  // calls dayjs(borrowed_until || null).toISOString() (RangeError, swallowed for floating licenses). So the high-level
  // check is LicenseManager.checkLicense here, and License.check() is exercised once the seat is borrowed.
  // LicenseManager.floatingRelease has the same flaw (updateFloatingPeriod(null) throws after the server answered),
  // so the release goes through LicenseAPI.floatingRelease.
  it('LicenseManager: activate, checkLicense, floatingBorrow + License.check(); floatingRelease frees the seat', async () => {
    const lic = lt.createLicenseWith(lt.product.code, ['--floating-users', 1, '--max-activations', 3, '--max-borrow-time', 1]);
    const hw = uniq('hw-lmfl');
    const lm = lt.manager({ hardwareID: hw });
    const act = await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    assert.equal(act.floating_in_use_devices, 1);
    assert.equal(lm.loadLicense().currentLicenseData.isFloatingLicense, true);
    const chk = await expectOk(() => lm.checkLicense({ license_key: lic.license_key }));
    assert.equal(chk.floating_in_use_devices, 1);
    await expectApiError(() => lt.api().activateLicense(ident(lic, uniq('hw-lmfl2'))), 400, 'floating_not_available');

    const borrowed = await expectOk(() => lm.floatingBorrow({ license_key: lic.license_key, borrowed_until: null }));
    assertNear(borrowed.borrowed_until, Date.now() + HOUR, 60e3, 'borrowed_until');
    const license = lm.loadLicense();
    const hl = await expectOk(() => license.check());
    assert.ok(hl, 'License.check() must return the check answer for a borrowed floating license');
    assert.equal(hl.is_borrowed, true);
    assert.equal(hl.borrowed_until, borrowed.borrowed_until);

    assert.equal(await expectOk(() => lt.api().floatingRelease(ident(lic, hw)), { signed: false }), true);
    const dev = deviceOf(lic, hw);
    assert.equal(dev.floating_until, null);
    assert.equal(dev.borrowed_until, null, 'release ends the borrow too');
    const other = await expectOk(() => lt.api().activateLicense(ident(lic, uniq('hw-lmfl3'))));
    assert.equal(other.floating_in_use_devices, 1);
  });
});

describe('floating/borrow (LicenseAPI.floatingBorrow, LicenseManager.floatingBorrow)', () => {
  it('borrowed_until null → now + max_borrow_time hours; check reports the borrow', async () => {
    const lic = floatingLicense(['--max-borrow-time', 4]);
    const hw = uniq('hw-borrow');
    const api = lt.api();
    const act = await expectOk(() => api.activateLicense(ident(lic, hw)));
    const res = await expectOk(() => api.floatingBorrow({ ...ident(lic, hw), borrowed_until: null }));
    assertNear(res.borrowed_until, Date.now() + 4 * HOUR, 60e3, 'borrowed_until');
    assert.equal(res.max_borrow_time, 4);
    assert.equal(res.license_id, lic.license_id);
    assert.equal(res.device_id, act.device_id);
    assert.equal(Date.parse(deviceOf(lic, hw).borrowed_until), Date.parse(res.borrowed_until));
    const chk = await expectOk(() => api.checkLicense(ident(lic, hw)));
    assert.equal(chk.is_borrowed, true);
    assert.equal(chk.borrowed_until, res.borrowed_until);
  });

  it('an explicit borrowed_until within max_borrow_time is kept (LicenseManager stores it as the floating period)', async () => {
    const lic = floatingLicense(['--max-borrow-time', 4]);
    const hw = uniq('hw-borrow-lm');
    const lm = lt.manager({ hardwareID: hw });
    await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    const until = new Date(Date.now() + 2 * HOUR).toISOString();
    const res = await expectOk(() => lm.floatingBorrow({ license_key: lic.license_key, borrowed_until: until }));
    assert.ok(Math.abs(Date.parse(res.borrowed_until) - Date.parse(until)) < 1000, `${res.borrowed_until} != ${until}`);
    assert.equal(Date.parse(lm.loadLicense().currentLicenseData.floatingPeriod), Date.parse(res.borrowed_until));
    assert.ok(Math.abs(Date.parse(deviceOf(lic, hw).borrowed_until) - Date.parse(until)) < 1000);
  });

  const errors = [
    { name: 'borrowed_until in the past', flags: ['--floating-users', 2, '--max-borrow-time', 4], until: () => '2020-01-01T00:00:00.000Z', code: 'borrow_until_not_valid' },
    { name: 'borrowed_until beyond max_borrow_time', flags: ['--floating-users', 2, '--max-borrow-time', 4], until: () => new Date(Date.now() + 5 * HOUR).toISOString(), code: 'borrow_until_not_valid' },
    { name: 'floating license with max_borrow_time 0', flags: ['--floating-users', 2], until: () => null, code: 'license_borrow_not_allowed' },
    { name: 'a license that is not floating', flags: ['--max-borrow-time', 4], until: () => null, code: 'license_borrow_not_allowed' },
  ];
  for (const e of errors) {
    it(`${e.name} → ${e.code}`, async () => {
      const lic = lt.createLicenseWith(lt.product.code, ['--max-activations', 3, ...e.flags]);
      const hw = uniq('hw-borrow-err');
      await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
      await expectApiError(() => lt.api().floatingBorrow({ ...ident(lic, hw), borrowed_until: e.until() }), 400, e.code);
      assert.equal(deviceOf(lic, hw).borrowed_until, null, 'a refused borrow must not be stored');
    });
  }
});

describe('floating features: check_license_feature seats, feature_borrow, feature_release', () => {
  /** A non-floating license with a floating feature (1 seat), a floating feature without borrowing, a plain one. */
  async function featureLicense(hwList) {
    const lic = lt.createLicenseWith(lt.product.code, ['--max-activations', 5]);
    lt.addLicenseFeature(lic, 'ffl', ['--floating-users', 1, '--floating-timeout', 15, '--max-borrow-time', 2]);
    lt.addLicenseFeature(lic, 'fnoborrow', ['--floating-users', 3]);
    lt.addLicenseFeature(lic, 'fplain');
    for (const hw of hwList) await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    return lic;
  }

  it('a floating feature seat is taken and renewed by check; full → floating_not_available; release frees it', async () => {
    const [a, b] = hws('hw-ff', 2);
    const lic = await featureLicense([a, b]);
    const api = lt.api();
    for (let i = 0; i < 2; i += 1) {
      const f = await expectOk(() => api.checkLicenseFeature({ ...ident(lic, a), feature: 'ffl' }));
      assert.deepEqual(
        { code: f.code, feature_type: f.feature_type, is_floating_cloud: f.is_floating_cloud, floating_users: f.floating_users, floating_timeout: f.floating_timeout, floating_in_use_devices: f.floating_in_use_devices, license_id: f.license_id },
        { code: 'ffl', feature_type: 'activation', is_floating_cloud: true, floating_users: 1, floating_timeout: 15, floating_in_use_devices: 1, license_id: lic.license_id },
        `check #${i + 1}`,
      );
    }
    await expectApiError(() => api.checkLicenseFeature({ ...ident(lic, b), feature: 'ffl' }), 400, 'floating_not_available');
    assert.equal(await expectOk(() => api.featureRelease({ ...ident(lic, a), feature: 'ffl' }), { signed: false }), true);
    const fb = await expectOk(() => api.checkLicenseFeature({ ...ident(lic, b), feature: 'ffl' }));
    assert.equal(fb.floating_in_use_devices, 1);
    await expectApiError(() => api.checkLicenseFeature({ ...ident(lic, a), feature: 'ffl' }), 400, 'floating_not_available');
  });

  it('a non-floating feature is answered without taking seats', async () => {
    const [a] = hws('hw-fplain', 1);
    const lic = await featureLicense([a]);
    const f = await expectOk(() => lt.api().checkLicenseFeature({ ...ident(lic, a), feature: 'fplain' }));
    assert.equal(f.code, 'fplain');
    assert.equal(f.name, 'Feature fplain');
    assert.equal(f.is_floating_cloud, false);
    assert.equal(f.is_floating, false);
    assert.equal(f.license_id, lic.license_id);
  });

  it('feature_borrow: null → now + max_borrow_time; past / too far → borrow_until_not_valid; no borrowing → license_borrow_not_allowed', async () => {
    const [a, b] = hws('hw-fborrow', 2);
    const lic = await featureLicense([a, b]);
    const api = lt.api();
    const call = (hw, feature, until) => api.featureBorrow({ ...ident(lic, hw), feature, borrowed_until: until });
    await expectApiError(() => call(a, 'ffl', '2020-01-01T00:00:00.000Z'), 400, 'borrow_until_not_valid');
    await expectApiError(() => call(a, 'ffl', new Date(Date.now() + 3 * HOUR).toISOString()), 400, 'borrow_until_not_valid');
    await expectApiError(() => call(a, 'fnoborrow', null), 400, 'license_borrow_not_allowed');
    await expectApiError(() => call(a, 'nope', null), 400, 'invalid_license_feature_code');
    const res = await expectOk(() => call(a, 'ffl', null));
    assertNear(res.borrowed_until, Date.now() + 2 * HOUR, 60e3, 'feature borrowed_until');
    // the borrowed seat is held: the other device finds the feature full
    await expectApiError(() => api.checkLicenseFeature({ ...ident(lic, b), feature: 'ffl' }), 400, 'floating_not_available');
  });

  const releaseErrors = [
    ['a non-floating feature', 'fplain', 'feature_not_floating'],
    ['a floating feature this device does not hold', 'fnoborrow', 'floating_feature_device_not_in_use'],
    ['a feature the license does not have', 'fungranted', 'invalid_license_feature_code'],
  ];
  for (const [what, feature, code] of releaseErrors) {
    it(`feature_release of ${what} → ${code}`, async () => {
      const [a] = hws('hw-frel', 1);
      const lic = await featureLicense([a]);
      await expectApiError(() => lt.api().featureRelease({ ...ident(lic, a), feature }), 400, code);
    });
  }

  const checkErrors = [
    ['an unknown feature code', 'no-such-feature'],
    ['a product feature not granted to the license', 'fungranted'],
  ];
  for (const [what, feature] of checkErrors) {
    it(`check_license_feature of ${what} → invalid_license_feature_code`, async () => {
      const [a] = hws('hw-fchk', 1);
      const lic = await featureLicense([a]);
      await expectApiError(() => lt.api().checkLicenseFeature({ ...ident(lic, a), feature }), 400, 'invalid_license_feature_code');
    });
  }

  it('high level: License.checkFeature / releaseFeature and LicenseManager.checkLicenseFeature / featureBorrow / featureRelease', async () => {
    const [a, b] = hws('hw-fhl', 2);
    const lic = await featureLicense([b]);
    const lm = lt.manager({ hardwareID: a });
    await expectOk(() => lm.activateLicense({ license_key: lic.license_key }));
    const license = lm.loadLicense();
    const other = { ...ident(lic, b), feature: 'ffl' };

    await expectOk(() => license.checkFeature('ffl'));
    assert.equal(license.currentLicenseData.features.ffl.feature_type, 'activation');
    await expectApiError(() => lt.api().checkLicenseFeature(other), 400, 'floating_not_available');
    await expectOk(() => license.releaseFeature('ffl'), { signed: false });
    await expectOk(() => lt.api().checkLicenseFeature(other));
    await expectOk(() => lt.api().featureRelease(other), { signed: false });

    const viaLm = await expectOk(() => lm.checkLicenseFeature({ license_key: lic.license_key, feature: 'ffl' }));
    assert.equal(viaLm.floating_in_use_devices, 1);
    const borrowed = await expectOk(() => lm.featureBorrow({ license_key: lic.license_key, feature: 'ffl', borrowed_until: null }));
    assertNear(borrowed.borrowed_until, Date.now() + 2 * HOUR, 60e3, 'LicenseManager.featureBorrow');
    await expectApiError(() => lt.api().checkLicenseFeature(other), 400, 'floating_not_available');
    assert.equal(await expectOk(() => lm.featureRelease({ license_key: lic.license_key, feature: 'ffl' }), { signed: false }), true);
    await nextSecond(); // the same release again
    await expectApiError(() => lm.featureRelease({ license_key: lic.license_key, feature: 'ffl' }), 400, 'floating_feature_device_not_in_use');
    await expectOk(() => lt.api().checkLicenseFeature(other));
  });
});
