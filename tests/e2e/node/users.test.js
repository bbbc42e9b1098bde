'use strict';
// User-based licenses through the Node SDK: activate / check / deactivate by username + password (LicenseAPI and
// LicenseManager + License), license_id selection for a user holding two licenses, user_licenses,
// customer_license_users, change_password, license_user_activated_max_times — and proof that both signatures
// (LicenseSignature header, license_signature v1 with ident = username) hold for user-based licenses.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Latch, uniq, uniqEmail, licenseSignatureV1Valid, expectApiError, expectOk, assertLicenseShape } = require('./helpers/latch');

const lt = new Latch('users');
let ub; // user-based product
before(async () => {
  await lt.start();
  ub = lt.createProductWith('ub', ['--user-based']);
});
after(() => lt.stop());

const PASSWORD = 'initial-pass-1';

/** A user (optionally of a customer) on a new user-based license. */
function userOnLicense({ licenseFlags = ['--max-activations', 3], userFlags = [], customer } = {}) {
  const email = uniqEmail('user');
  const user = lt.createUser(email, ['--password', PASSWORD, ...(customer ? ['--customer', customer] : [])]);
  assert.equal(user.email, email);
  assert.equal(user.initial_password, PASSWORD);
  const lic = lt.createLicenseWith(ub.code, [...licenseFlags, ...(customer ? ['--customer', customer] : [])]);
  assert.equal(lic.license_key, null, 'user-based licenses have no key');
  lt.assignUser(lic, email, userFlags);
  return { email, user, lic };
}

const uid = (email, hw, extra = {}) => ({ product: ub.code, hardware_id: hw, username: email, ...extra });

describe('user-based activate / check / deactivate (LicenseAPI)', () => {
  it('activation by username + password: license body, user object, both signatures with ident = username', async () => {
    const { email, user, lic } = userOnLicense();
    const hw = uniq('hw-u');
    const api = lt.api();
    // mixed-case username: the login is case-insensitive, and the SDK verifies v1 over the lower-cased string
    const act = await expectOk(() => api.activateLicense(uid(email.toUpperCase(), hw, { password: PASSWORD })));
    assert.equal(act.id, lic.license_id);
    assert.equal(act.hardware_id, hw);
    assert.equal(act.license_key, undefined, 'no license_key on user-based licenses');
    assert.equal(act.product_details.authorization_method, 'user');
    assert.equal(act.product_details.short_code, ub.code);
    assert.deepEqual(
      { id: act.user.id, email: act.user.email, is_initial_password: act.user.is_initial_password, total_activations: act.user.total_activations },
      { id: user.user_id, email, is_initial_password: true, total_activations: 1 },
    );
    assert.equal(act.times_activated, 1);
    // our own v1 check: signed over hardware_id#username#validity — and it must NOT verify for another identity
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, act, hw, email), true);
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, act, hw, 'someone-else@example.com'), false);
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, act, uniq('hw-other'), email), false);

    const chk = await expectOk(() => api.checkLicense(uid(email, hw)));
    assert.equal(chk.id, lic.license_id);
    assert.equal(chk.license_active, true);
    assert.equal(chk.user.email, email);
    assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, chk, hw, email), true);
    assertLicenseShape({ ...chk, license_key: 'n/a', product_details: { ...chk.product_details, authorization_method: 'license-key' } });

    assert.equal(await expectOk(() => api.deactivateLicense(uid(email, hw)), { signed: false }), true);
    assert.equal(lt.showLicenseById(lic.license_id).times_activated, 0);
    await expectApiError(() => api.checkLicense(uid(email, hw)), 400, 'license_not_active');
  });

  it('the activation body echoes the request username (spec §2.1)', async () => {
    const { email } = userOnLicense();
    const act = await expectOk(() => lt.api().activateLicense(uid(email, uniq('hw-echo'), { password: PASSWORD })));
    assert.equal(act.username, email);
  });

  it('a client configured with another company key rejects the signed answer (signature_v2_mismatch)', async () => {
    const { email } = userOnLicense();
    const { publicKey } = require('node:crypto').generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    await assert.rejects(
      () => lt.api({ publicKey }).activateLicense(uid(email, uniq('hw-badkey'), { password: PASSWORD })),
      (e) => ['license_signature_invalid', 'signature_v2_mismatch'].includes(e.code),
    );
  });

  const activationErrors = [
    { name: 'wrong password', payload: (email) => ({ username: email, password: 'wrong-password' }), code: 'invalid_credentials' },
    { name: 'unknown user', payload: () => ({ username: uniqEmail('ghost'), password: PASSWORD }), code: 'invalid_credentials' },
    {
      name: 'user without a license of the product',
      payload: () => {
        const email = uniqEmail('nolicense');
        lt.createUser(email, ['--password', PASSWORD]);
        return { username: email, password: PASSWORD };
      },
      code: 'license_not_found',
    },
  ];
  for (const e of activationErrors) {
    it(`activation with ${e.name} → ${e.code}`, async () => {
      const { email, lic } = userOnLicense();
      await expectApiError(() => lt.api().activateLicense({ product: ub.code, hardware_id: uniq('hw-uerr'), ...e.payload(email) }), 400, e.code);
      assert.equal(lt.showLicenseById(lic.license_id).times_activated, 0);
    });
  }

  it('license_user_activated_max_times: the per-user limit applies before the license limit', async () => {
    const { email, lic } = userOnLicense({ licenseFlags: ['--max-activations', 5], userFlags: ['--max-activations', 2] });
    const api = lt.api();
    for (const n of [1, 2]) {
      const res = await expectOk(() => api.activateLicense(uid(email, uniq(`hw-ulim${n}`), { password: PASSWORD })));
      assert.equal(res.user.total_activations, n);
      assert.equal(res.user.max_activations, 2);
    }
    await expectApiError(() => api.activateLicense(uid(email, uniq('hw-ulim3'), { password: PASSWORD })), 400, 'license_user_activated_max_times');
    assert.equal(lt.showLicenseById(lic.license_id).times_activated, 2);
  });

  it('license_id picks one of two licenses of the same user and product', async () => {
    const { email, lic: first } = userOnLicense();
    const second = lt.createLicenseWith(ub.code, ['--max-activations', 4, '--type', 'time-limited', '--valid-until', '2039-09-09']);
    lt.assignUser(second, email);
    const api = lt.api();
    for (const lic of [second, first]) {
      const hw = uniq('hw-pick');
      const act = await expectOk(() => api.activateLicense(uid(email, hw, { password: PASSWORD, license_id: lic.license_id })));
      assert.equal(act.id, lic.license_id);
      const chk = await expectOk(() => api.checkLicense(uid(email, hw, { license_id: lic.license_id })));
      assert.equal(chk.id, lic.license_id);
      assert.equal(chk.validity_period, lic === second ? '2039-09-09T00:00:00.000Z' : null);
      assert.equal(licenseSignatureV1Valid(lt.company.public_key_pem, chk, hw, email), true);
      assert.equal(lt.showLicenseById(lic.license_id).times_activated, 1);
    }
    // the hardware id active on `second` is not active on `first`
    await expectApiError(
      () => api.checkLicense(uid(email, lt.devicesById(second.license_id)[0].hardware_id, { license_id: first.license_id })),
      400, 'device_not_found',
    );
  });
});

describe('user-based through LicenseManager / License', () => {
  it('activate by username+password, License.check() (sends user.email + license_id), changePassword, deactivate', async () => {
    const { email, lic } = userOnLicense({ userFlags: ['--max-activations', 3] });
    const hw = uniq('hw-ulm');
    const lm = lt.manager({ productCode: ub.code, hardwareID: hw });
    const act = await expectOk(() => lm.activateLicense({ username: email, password: PASSWORD }));
    assert.equal(act.user.email, email);
    const license = lm.loadLicense();
    assert.equal(license.id, lic.license_id);
    assert.deepEqual(license.getLicenseIDPayload(), { license_id: lic.license_id, product: ub.code, hardware_id: hw, username: email });
    const chk = await expectOk(() => license.check());
    assert.equal(chk.user.email, email);
    const chk2 = await expectOk(() => lm.checkLicense({ username: email }));
    assert.equal(chk2.id, lic.license_id);

    const NEW = 'changed-pass-2';
    assert.equal(await expectOk(() => license.changePassword(PASSWORD, NEW), { signed: false }), true);
    await expectApiError(() => lt.api().activateLicense(uid(email, uniq('hw-oldpw'), { password: PASSWORD })), 400, 'invalid_credentials');
    const act2 = await expectOk(() => lt.api().activateLicense(uid(email, uniq('hw-newpw'), { password: NEW })));
    assert.equal(act2.user.is_initial_password, false, 'a changed password is no longer the initial one');

    await expectOk(() => license.deactivate(), { signed: false });
    assert.equal(lm.loadLicense().licenseActive, false);
    assert.equal(lt.showLicenseById(lic.license_id).times_activated, 1, 'only the other device remains');
  });

  it('LicenseManager.deactivateLicense by username frees the slot', async () => {
    const { email, lic } = userOnLicense({ licenseFlags: ['--max-activations', 1] });
    const lm = lt.manager({ productCode: ub.code, hardwareID: uniq('hw-ulmd') });
    await expectOk(() => lm.activateLicense({ username: email, password: PASSWORD }));
    await expectApiError(() => lt.api().activateLicense(uid(email, uniq('hw-full'), { password: PASSWORD })), 400, 'license_activated_max_times');
    assert.equal(await expectOk(() => lm.deactivateLicense({ username: email }), { signed: false }), true);
    assert.equal(lt.showLicenseById(lic.license_id).times_activated, 0);
    await expectOk(() => lt.api().activateLicense(uid(email, uniq('hw-after'), { password: PASSWORD })));
  });
});

describe('change_password (LicenseAPI / LicenseManager)', () => {
  const cases = [
    { name: 'wrong current password', password: 'not-the-password', next: 'valid-new-pass', code: 'invalid_credentials' },
    { name: 'new password shorter than 8 characters', password: PASSWORD, next: 'short7c', code: 'validation_error' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}, the old password keeps working`, async () => {
      const { email } = userOnLicense();
      await expectApiError(() => lt.api().changePassword({ username: email, password: c.password, new_password: c.next }), 400, c.code);
      await expectOk(() => lt.api().activateLicense(uid(email, uniq('hw-cpw'), { password: PASSWORD })));
    });
  }

  it('success → "password_changed"; afterwards the old password fails everywhere with invalid_credentials', async () => {
    const { email } = userOnLicense();
    const lm = lt.manager({ productCode: ub.code, hardwareID: uniq('hw-cpw-lm') });
    const NEW = 'brand-new-pass-8';
    assert.equal(await expectOk(() => lm.changePassword({ username: email, password: PASSWORD, new_password: NEW }), { signed: false }), true);
    const old = [
      () => lt.api().changePassword({ username: email, password: PASSWORD, new_password: 'another-pass-9' }),
      () => lt.api().getUserLicenses({ product: ub.code, username: email, password: PASSWORD }),
      () => lt.api().activateLicense(uid(email, uniq('hw-cpw-old'), { password: PASSWORD })),
    ];
    for (const call of old) await expectApiError(call, 400, 'invalid_credentials');
    const list = await expectOk(() => lt.api().getUserLicenses({ product: ub.code, username: email, password: NEW }));
    assert.equal(list.length, 1);
  });
});

describe('user_licenses and customer_license_users', () => {
  it('getUserLicenses lists every license of the user for the product, with license and user objects', async () => {
    const { email, user, lic } = userOnLicense({ licenseFlags: ['--max-activations', 2] });
    const second = lt.createLicenseWith(ub.code, ['--max-activations', 7]);
    lt.assignUser(second, email, ['--max-activations', 3]);
    const hw = uniq('hw-ul');
    await expectOk(() => lt.api().activateLicense(uid(email, hw, { password: PASSWORD, license_id: lic.license_id })));

    const lm = lt.manager({ productCode: ub.code, hardwareID: hw });
    for (const list of [
      await expectOk(() => lt.api().getUserLicenses({ product: ub.code, username: email, password: PASSWORD })),
      await expectOk(() => lm.getUserLicenses({ username: email.toUpperCase(), password: PASSWORD })),
    ]) {
      assert.ok(Array.isArray(list));
      const byId = Object.fromEntries(list.map((e) => [e.license.id, e]));
      assert.deepEqual(Object.keys(byId).map(Number).sort((a, b) => a - b), [lic.license_id, second.license_id].sort((a, b) => a - b));
      assert.equal(byId[lic.license_id].license.max_activations, 2);
      assert.equal(byId[lic.license_id].license.times_activated, 1);
      assert.equal(byId[second.license_id].license.max_activations, 7);
      assert.equal(byId[second.license_id].license.product_details.short_code, ub.code);
      for (const e of list) {
        assert.equal(e.user.email, email);
        assert.equal(e.user.id, user.user_id);
      }
      assert.equal(byId[second.license_id].user.max_activations, 3);
      assert.equal(byId[lic.license_id].user.total_activations, 1);
    }
    await expectApiError(() => lt.api().getUserLicenses({ product: ub.code, username: email, password: 'nope-nope' }), 400, 'invalid_credentials');
  });

  it('getCustomerLicenseUsers lists the customer\'s license users; unknown customer → customer_does_not_exist', async () => {
    const customer = uniqEmail('customer');
    const c = lt.createCustomer(customer, ['--first-name', 'Ada', '--last-name', 'Lovelace', '--company-name', 'Engines Ltd']);
    assert.ok(c);
    const a = userOnLicense({ customer, userFlags: ['--max-activations', 2] });
    const b = userOnLicense({ customer });
    userOnLicense(); // a user of another (no) customer must not appear
    await expectOk(() => lt.api().activateLicense(uid(a.email, uniq('hw-clu'), { password: PASSWORD })));

    const lm = lt.manager({ productCode: ub.code, hardwareID: uniq('hw-clu-lm') });
    for (const res of [
      await expectOk(() => lt.api().getCustomerLicenseUsers({ product: ub.code, customer })),
      await expectOk(() => lm.getCustomerLicenseUsers({ customer })),
    ]) {
      assert.equal(res.customer.email, customer);
      assert.equal(res.customer.first_name, 'Ada');
      assert.equal(res.customer.last_name, 'Lovelace');
      assert.equal(res.customer.company_name, 'Engines Ltd');
      const byEmail = Object.fromEntries(res.users.map((u) => [u.email, u]));
      assert.deepEqual(Object.keys(byEmail).sort(), [a.email, b.email].sort());
      assert.deepEqual(
        { license_id: byEmail[a.email].license_id, max_activations: byEmail[a.email].max_activations, total_activations: byEmail[a.email].total_activations, initial_password: byEmail[a.email].initial_password, is_initial_password: byEmail[a.email].is_initial_password },
        // initial passwords go out only with the trial that created the user
        { license_id: a.lic.license_id, max_activations: 2, total_activations: 1, initial_password: null, is_initial_password: true },
      );
      assert.equal(byEmail[b.email].license_id, b.lic.license_id);
      assert.equal(byEmail[b.email].total_activations, 0);
    }
    await expectApiError(() => lt.api().getCustomerLicenseUsers({ product: ub.code, customer: uniqEmail('nobody') }), 400, 'customer_does_not_exist');
  });
});
