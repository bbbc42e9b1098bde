'use strict';
// Trials (trial_key), product_details with latest_version, versions / installation_file, transfers and the
// subscription grace period, through the Node SDK (LicenseAPI for exact codes; LicenseManager where it has the call).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, nextSecond, uniqEmail, licenseSignatureV1Valid, expectApiError, expectOk } = require('./helpers/latch');

const lt = new Latch('lifecycle');
const HOUR = 3600e3;
const DAY = 24 * HOUR;
let keyTrial; let userTrial; let noTrial; let rel; let relPd; let noRel;
before(async () => {
  await lt.start();
  keyTrial = lt.createProductWith('ktrial', ['--allow-trial', '--trial-days', 10]);
  userTrial = lt.createProductWith('utrial', ['--user-based', '--allow-trial', '--trial-days', 5]);
  noTrial = lt.createProductWith('notrial');
  // Releases are published before the server first loads these products (the server caches releases briefly).
  rel = lt.createProductWith('rel');
  const releases = [
    ['1.0.0', ['--release-date', '2024-01-01', '--hash-md5', 'aa11aa11aa11aa11aa11aa11aa11aa11', '--size', '1024']],
    ['1.1.0', ['--release-date', '2024-03-01', '--environment', 'linux', '--eula-link', 'https://e.example.com/eula']],
    ['1.2.0', ['--release-date', '2024-05-01', '--environment', 'win64', '--channel', 'beta', '--requires-version', '1.0.0']],
  ];
  for (const [v, flags] of releases) assert.equal(lt.addRelease(rel.code, v, flags).version, v);
  relPd = lt.createProductWith('relpd');
  lt.addRelease(relPd.code, '2.0.0', ['--release-date', '2024-01-01']);
  lt.addRelease(relPd.code, '2.1.0', ['--release-date', '2024-02-01', '--hash-md5', 'bb22bb22bb22bb22bb22bb22bb22bb22', '--size', '2048', '--release-notes-link', 'https://e.example.com/notes']);
  noRel = lt.createProductWith('norel');
});
after(() => lt.stop());

const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });

describe('trial_key (LicenseAPI.getTrialKey / LicenseManager.getTrialKey)', () => {
  it('key-based: a new time-limited trial license; the same hardware id gets the same trial again; it activates', async () => {
    const hw = uniq('hw-trial');
    const api = lt.api();
    const first = await expectOk(() => api.getTrialKey({ product: keyTrial.code, hardware_id: hw }));
    assert.equal(first.is_trial, true);
    assert.equal(first.license_type, 'time-limited');
    assert.equal(first.trial_days, 10);
    assert.equal(typeof first.license_key, 'string');
    assert.equal(first.license, first.license_key);
    assert.ok(Math.abs(Date.parse(first.validity_period) - (Date.now() + 10 * DAY)) < 120e3, `validity ${first.validity_period}`);
    const again = await expectOk(() => api.getTrialKey({ product: keyTrial.code, hardware_id: hw }));
    assert.deepEqual({ license: again.license, is_trial: again.is_trial, license_type: again.license_type }, { license: first.license_key, is_trial: true, license_type: 'time-limited' });
    const shown = lt.showLicense(first.license_key);
    assert.equal(shown.is_trial, true);
    assert.equal(shown.product, keyTrial.code);

    const act = await expectOk(() => api.activateLicense({ product: keyTrial.code, hardware_id: hw, license_key: first.license_key }));
    assert.equal(act.is_trial, true);
    assert.equal(act.validity_period, first.validity_period);
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, act, hw, first.license_key), true);
  });

  it('LicenseManager.getTrialKey stores the trial; a different hardware id gets a different trial', async () => {
    const hw = uniq('hw-trial-lm');
    const lm = lt.manager({ productCode: keyTrial.code, hardwareID: hw });
    const res = await expectOk(() => lm.getTrialKey({}));
    assert.equal(lm.loadLicense().currentLicenseData.license.license_key, res.license_key);
    const other = await expectOk(() => lt.api().getTrialKey({ product: keyTrial.code, hardware_id: uniq('hw-trial-other') }));
    assert.notEqual(other.license_key, res.license_key);
    const act = await expectOk(() => lm.activateLicense({ license_key: res.license_key }));
    assert.equal(act.is_trial, true);
  });

  it('user-based: the trial creates a license user with an initial password that activates; repeat → same trial', async () => {
    const hw = uniq('hw-utrial');
    const email = uniqEmail('trialuser');
    const api = lt.api();
    const first = await expectOk(() => api.getTrialKey({ product: userTrial.code, hardware_id: hw, email }));
    assert.equal(first.is_trial, true);
    assert.equal(first.license_type, 'time-limited');
    assert.equal(first.license_user, email);
    assert.equal(typeof first.initial_password, 'string');
    assert.ok(first.initial_password.length >= 8);
    assert.ok(Math.abs(Date.parse(first.validity_period) - (Date.now() + 5 * DAY)) < 120e3);
    // same hardware id, and same e-mail from another hardware id: the existing trial; the initial
    // password went out once, with the trial that created the user
    for (const hwAgain of [hw, uniq('hw-utrial-2')]) {
      const again = await expectOk(() => api.getTrialKey({ product: userTrial.code, hardware_id: hwAgain, email }));
      assert.deepEqual(
        { is_trial: again.is_trial, license_user: again.license_user, initial_password: again.initial_password },
        { is_trial: true, license_user: email, initial_password: null },
        `repeat from ${hwAgain}`,
      );
    }
    const act = await expectOk(() => api.activateLicense({ product: userTrial.code, hardware_id: hw, username: email, password: first.initial_password }));
    assert.equal(act.is_trial, true);
    assert.equal(act.user.email, email);
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, act, hw, email), true);
  });

  const errors = [
    { name: 'product without --allow-trial', payload: () => ({ product: noTrial.code, hardware_id: uniq('hw-t') }), code: 'trial_not_allowed' },
    { name: 'empty hardware_id', payload: () => ({ product: keyTrial.code, hardware_id: '' }), code: 'missing_hardware_id' },
    { name: 'user-based product without email', payload: () => ({ product: userTrial.code, hardware_id: uniq('hw-t') }), code: 'missing_parameters' },
    { name: 'unknown product', payload: () => ({ product: uniq('nope'), hardware_id: uniq('hw-t') }), code: 'unknown_product' },
  ];
  for (const e of errors) {
    it(`${e.name} → ${e.code}`, async () => {
      await expectApiError(() => lt.api().getTrialKey(e.payload()), 400, e.code);
    });
  }
});

describe('product_details include_latest_version', () => {
  it('latest_version is the newest release, with its fields (LicenseAPI and LicenseManager)', async () => {
    const lm = lt.manager({ productCode: relPd.code, hardwareID: uniq('hw-pd') });
    for (const pd of [
      await expectOk(() => lt.api().getProductDetails({ product: relPd.code, include_latest_version: true })),
      await expectOk(() => lm.getProductDetails({ include_latest_version: true })),
    ]) {
      assert.equal(pd.short_code, relPd.code);
      const lv = pd.latest_version;
      assert.ok(lv && typeof lv === 'object', `latest_version: ${JSON.stringify(lv)}`);
      assert.deepEqual(
        { version: lv.version, hash_md5: lv.hash_md5, size: lv.size, release_notes_link: lv.release_notes_link, release_date: lv.release_date, full_link: lv.full_link, enabled: lv.enabled, product_id: lv.product_id },
        { version: '2.1.0', hash_md5: 'bb22bb22bb22bb22bb22bb22bb22bb22', size: '2048', release_notes_link: 'https://e.example.com/notes', release_date: '2024-02-01T00:00:00.000Z', full_link: `https://dl.example.com/${relPd.code}/app-2.1.0.zip`, enabled: true, product_id: relPd.product_id },
      );
    }
  });

  it('a product without releases → latest_version null; not requested → no latest_version object', async () => {
    const none = await expectOk(() => lt.api().getProductDetails({ product: noRel.code, include_latest_version: true }));
    assert.equal(none.latest_version, null);
    const notAsked = await expectOk(() => lt.api().getProductDetails({ product: relPd.code, include_latest_version: false }));
    assert.ok(notAsked.latest_version === undefined || notAsked.latest_version === null);
  });
});

describe('versions / installation_file', () => {
  const versionCases = [
    { filter: {}, expected: ['1.0.0', '1.1.0', '1.2.0'] },
    { filter: { env: 'linux' }, expected: ['1.0.0', '1.1.0'] },
    { filter: { env: 'win64', channel: 'beta' }, expected: ['1.0.0', '1.2.0'] },
    { filter: { env: 'win64', channel: 'stable' }, expected: ['1.0.0'] },
    { filter: { env: 'mac' }, expected: ['1.0.0'] },
  ];
  it('getVersions filters by env/channel (a release with no env/channel matches every client)', async () => {
    const lic = lt.createLicenseWith(rel.code);
    const hw = uniq('hw-ver');
    await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    const lm = lt.manager({ productCode: rel.code, hardwareID: hw });
    for (const { filter, expected } of versionCases) {
      const list = await expectOk(() => lt.api().getVersions({ ...ident(lic, hw), ...filter }));
      assert.deepEqual(list.map((v) => v.version).sort(), expected, `filter ${JSON.stringify(filter)}`);
      const dates = Object.fromEntries(list.map((v) => [v.version, v.release_date]));
      if (dates['1.0.0'] !== undefined) assert.equal(dates['1.0.0'], '2024-01-01T00:00:00.000Z');
      const viaLm = await expectOk(() => lm.getVersions({ license_key: lic.license_key, ...filter }));
      assert.deepEqual(viaLm.map((v) => v.version).sort(), expected);
    }
  });

  it('getInstallationFile: a given version, or the newest one for the client env', async () => {
    const lic = lt.createLicenseWith(rel.code);
    const hw = uniq('hw-inst');
    await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    const one = await expectOk(() => lt.api().getInstallationFile({ ...ident(lic, hw), version: '1.0.0' }));
    assert.deepEqual(
      { version: one.version, installation_file: one.installation_file, hash_md5: one.hash_md5, size: one.size, release_date: one.release_date },
      { version: '1.0.0', installation_file: `https://dl.example.com/${rel.code}/app-1.0.0.zip`, hash_md5: 'aa11aa11aa11aa11aa11aa11aa11aa11', size: '1024', release_date: '2024-01-01T00:00:00.000Z' },
    );
    const lm = lt.manager({ productCode: rel.code, hardwareID: hw });
    const linux = await expectOk(() => lm.getInstallationFile({ license_key: lic.license_key, env: 'linux' }));
    assert.equal(linux.version, '1.1.0');
    assert.equal(linux.environment, 'linux');
    assert.equal(linux.eula_link, 'https://e.example.com/eula');
    const beta = await expectOk(() => lt.api().getInstallationFile({ ...ident(lic, hw), env: 'win64', channel: 'beta' }));
    assert.equal(beta.version, '1.2.0');
    assert.equal(beta.requires_version, '1.0.0');
    assert.equal(beta.channel, 'beta');
  });

  // Each case: how the device/license is prepared, then both calls must answer `code`.
  const errorCases = [
    { name: 'never activated on this device', code: 'active_license_required', prepare: async () => ({ lic: lt.createLicenseWith(rel.code), hw: uniq('hw-none') }) },
    {
      name: 'device deactivated',
      code: 'active_license_required',
      prepare: async () => {
        const lic = lt.createLicenseWith(rel.code);
        const hw = uniq('hw-deact');
        await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
        await expectOk(() => lt.api().deactivateLicense(ident(lic, hw)), { signed: false });
        return { lic, hw };
      },
    },
    {
      name: 'license disabled after activation',
      code: 'active_license_required',
      prepare: async () => {
        const lic = lt.createLicenseWith(rel.code);
        const hw = uniq('hw-dis');
        await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
        lt.cli('license', 'disable', lic.license_key);
        return { lic, hw };
      },
    },
  ];
  for (const c of errorCases) {
    it(`${c.name} → ${c.code} (versions and installation_file)`, async () => {
      const { lic, hw } = await c.prepare();
      await expectApiError(() => lt.api().getVersions(ident(lic, hw)), 400, c.code);
      await expectApiError(() => lt.api().getInstallationFile({ ...ident(lic, hw), version: '1.0.0' }), 400, c.code);
    });
  }

  it('an unknown version, or one not published for the client env → version_not_found', async () => {
    const lic = lt.createLicenseWith(rel.code);
    const hw = uniq('hw-vnf');
    await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    for (const q of [{ version: '9.9.9' }, { version: '1.1.0', env: 'mac' }]) {
      await expectApiError(() => lt.api().getInstallationFile({ ...ident(lic, hw), ...q }), 400, 'version_not_found');
    }
  });
});

describe('transfers (max_transfers)', () => {
  it('deactivated on one device, activated on another is a transfer (known devices too); the limit → license_transferred_max_times; a device taking back its own activation is not', async () => {
    const lic = lt.createLicenseWith(lt.product.code, ['--max-activations', 1, '--max-transfers', 2]);
    const api = lt.api();
    const [a, b, c] = ['a', 'b', 'c'].map((x) => uniq(`hw-tr-${x}`));
    // [device, expected transfer_count after activation | error code]; the previous device is
    // deactivated before each step.
    const steps = [[a, 0], [b, 1], [a, 2], [c, 'license_transferred_max_times'], [a, 2]];
    let active = null;
    const activated = new Set();
    for (const [hw, expect] of steps) {
      if (active) await expectOk(() => api.deactivateLicense(ident(lic, active)), { signed: false });
      if (activated.has(hw)) await nextSecond(); // the same activation (and deactivation) again
      activated.add(hw);
      active = null;
      if (typeof expect === 'string') {
        await expectApiError(() => api.activateLicense(ident(lic, hw)), 400, expect);
      } else {
        const res = await expectOk(() => api.activateLicense(ident(lic, hw)));
        assert.equal(res.transfer_count, expect, `transfer_count after activating ${hw}`);
        assert.equal(res.max_transfers, 2);
        active = hw;
      }
      assert.equal(lt.showLicense(lic.license_key).transfer_count, typeof expect === 'string' ? 2 : expect);
    }
  });

  it('max_transfers 0 means no limit', async () => {
    const lic = lt.createLicenseWith(lt.product.code, ['--max-activations', 1]);
    const api = lt.api();
    let prev = null;
    for (let i = 0; i < 4; i += 1) {
      const hw = uniq('hw-tr0');
      if (prev) await expectOk(() => api.deactivateLicense(ident(lic, prev)), { signed: false });
      const res = await expectOk(() => api.activateLicense(ident(lic, hw)));
      assert.equal(res.transfer_count, i);
      prev = hw;
    }
  });
});

describe('subscription grace period', () => {
  // validity relative to now, grace hours → expected activation outcome
  const cases = [
    { name: 'subscription 1 h past validity, 48 h grace', type: 'subscription', pastHours: 1, grace: 48, ok: true },
    { name: 'subscription 1 h past validity, no grace', type: 'subscription', pastHours: 1, grace: null, ok: false },
    { name: 'subscription 72 h past validity, 48 h grace', type: 'subscription', pastHours: 72, grace: 48, ok: false },
  ];
  for (const c of cases) {
    it(`activation: ${c.name} → ${c.ok ? 'works' : 'license_expired'}`, async () => {
      const validUntil = new Date(Date.now() - c.pastHours * HOUR).toISOString();
      const lic = lt.createLicenseWith(lt.product.code, ['--type', c.type, '--valid-until', validUntil, ...(c.grace ? ['--grace-period', c.grace] : [])]);
      const hw = uniq('hw-sub');
      if (!c.ok) {
        await expectApiError(() => lt.api().activateLicense(ident(lic, hw)), 400, 'license_expired');
        return;
      }
      const act = await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
      assert.equal(act.license_type, 'subscription');
      assert.equal(Date.parse(act.validity_period), Date.parse(validUntil));
      assert.equal(act.grace_period, c.grace);
      assert.equal(act.allow_grace_period, true);
      assert.equal(act.is_expired, false);
      const chk = await expectOk(() => lt.api().checkLicense(ident(lic, hw)));
      assert.equal(chk.is_expired, false);
    });
  }

  it('check: renewing into the past keeps a subscription working within the grace period, then license_expired', async () => {
    const subscription = lt.createLicenseWith(lt.product.code, ['--type', 'subscription', '--valid-until', '2040-01-01', '--grace-period', 24]);
    const timeLimited = lt.createLicenseWith(lt.product.code, ['--type', 'time-limited', '--valid-until', '2040-01-01']);
    const hw = uniq('hw-renew');
    for (const lic of [subscription, timeLimited]) await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    const renew = (lic, ms) => lt.cli('license', 'renew', lic.license_key, '--valid-until', new Date(Date.now() + ms).toISOString());
    // [license, validity offset, expected check outcome]
    const steps = [
      [subscription, -2 * HOUR, 'ok'],
      [subscription, -30 * HOUR, 'license_expired'],
      [subscription, 5 * DAY, 'ok'],
      [timeLimited, -2 * HOUR, 'license_expired'],
    ];
    for (const [lic, ms, expect] of steps) {
      renew(lic, ms);
      if (expect === 'ok') {
        const chk = await expectOk(() => lt.api().checkLicense(ident(lic, hw)));
        assert.equal(chk.is_expired, false);
        assert.ok(Math.abs(Date.parse(chk.validity_period) - (Date.now() + ms)) < 60e3);
        assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, chk, hw, lic.license_key), true);
      } else {
        await expectApiError(() => lt.api().checkLicense(ident(lic, hw)), 400, expect);
      }
    }
  });
});
