'use strict';
// Response signatures: the SDK must reject a server answer under the wrong public key, and must accept
// bodies with non-ASCII / escaped characters (Node verifies RSA over JSON.stringify(JSON.parse(body))
// and the v1 license_signature over lowercase(hardware_id#license_key#validity)).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Latch, uniq, expectApiError, expectOk } = require('./helpers/latch');

const lt = new Latch('signatures');
before(() => lt.start());
after(() => lt.stop());

const wrongKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
const ident = (lic, hw) => ({ product: lic.product, hardware_id: hw, license_key: lic.license_key });

describe('public key', () => {
  it('`company public-key` prints the same PEM that company create returned', () => {
    const r = lt.cliRaw('company', 'public-key', '--company', String(lt.company.company_id));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), lt.company.public_key_pem.trim());
    assert.match(r.stdout, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\s*$/);
  });

  it('the right key verifies; the key from `company public-key` works as SDK publicKey', async () => {
    const pem = lt.cliRaw('company', 'public-key', '--company', String(lt.company.company_id)).stdout;
    const res = await expectOk(() => lt.api({ publicKey: pem }).getProductDetails({ product: lt.product.code }));
    assert.equal(res.short_code, lt.product.code);
  });

  // With a foreign key every signed endpoint must be refused by the SDK itself.
  const wrongKeyCases = [
    {
      name: 'activate_license → license_signature_invalid (v1 checked first)',
      status: 401, code: 'license_signature_invalid',
      run: async (api) => {
        const lic = lt.createLicense();
        return () => api.activateLicense(ident(lic, uniq('hw-wk')));
      },
    },
    {
      name: 'check_license → license_signature_invalid',
      status: 401, code: 'license_signature_invalid',
      run: async (api) => {
        const lic = lt.createLicense();
        const hw = uniq('hw-wk');
        await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
        return () => api.checkLicense(ident(lic, hw));
      },
    },
    {
      name: 'product_details → signature_v2_mismatch',
      status: 400, code: 'signature_v2_mismatch',
      run: async (api) => () => api.getProductDetails({ product: lt.product.code }),
    },
    {
      name: 'track_device_variables → signature_v2_mismatch',
      status: 400, code: 'signature_v2_mismatch',
      run: async (api) => {
        const lic = lt.createLicense();
        const hw = uniq('hw-wk');
        await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
        return () => api.trackDeviceVariables({ ...ident(lic, hw), variables: { k: 'v' } });
      },
    },
    {
      name: 'get_device_variables → signature_v2_mismatch',
      status: 400, code: 'signature_v2_mismatch',
      run: async (api) => {
        const lic = lt.createLicense();
        const hw = uniq('hw-wk');
        await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
        return () => api.getDeviceVariables(ident(lic, hw));
      },
    },
  ];
  for (const c of wrongKeyCases) {
    it(`wrong public key: ${c.name}`, async () => {
      const call = await c.run(lt.api({ publicKey: wrongKey }));
      // The server answered 200; the refusal is the SDK's own verification.
      await expectApiError(call, c.status, c.code, { checkWire: false });
    });
  }

  it('a second company\'s key does not verify this company\'s responses', async () => {
    const other = lt.cli('company', 'create', '--name', 'e2e node other company');
    assert.notEqual(other.public_key_pem, lt.company.public_key_pem);
    await expectApiError(
      () => lt.api({ publicKey: other.public_key_pem }).getProductDetails({ product: lt.product.code }),
      400, 'signature_v2_mismatch', { checkWire: false },
    );
  });
});

describe('non-ASCII and escaped characters still verify', () => {
  // Characters JSON serializers disagree on: raw UTF-8 vs \u escapes, "/" vs "\/", control chars,
  // astral-plane chars, U+2028, uppercase non-ASCII (the v1 signature lowercases the signing string).
  const nasty = [
    { label: 'accents', value: 'café é à ü ß' },
    { label: 'slash and quotes', value: 'a/b "quoted" \'single\' back\\slash' },
    { label: 'newline and tab', value: 'line1\nline2\tcol\r' },
    { label: 'control chars', value: 'bell\u0007 unit\u001f nul-free' },
    { label: 'astral and separators', value: 'emoji 😀 ✓ \u2028 \u2029 中文' },
    { label: 'html-ish', value: '<script>&amp;</script> +%20' },
  ];

  for (const { label, value } of nasty) {
    it(`device variable value: ${label}`, async () => {
      const lic = lt.createLicense();
      const hw = uniq('hw-esc');
      const api = lt.api();
      await expectOk(() => api.activateLicense(ident(lic, hw)));
      const name = `var ${label} é/"`;
      const tracked = await expectOk(() => api.trackDeviceVariables({ ...ident(lic, hw), variables: { [name]: value, plain: 'x' } }));
      assert.equal(tracked.find((v) => v.variable === name)?.value, value);
      const got = await expectOk(() => api.getDeviceVariables(ident(lic, hw)));
      assert.deepEqual(Object.fromEntries(got.map((v) => [v.variable, v.value])), { [name]: value, plain: 'x' });
    });
  }

  const hardwareIds = [
    'hw-é-/-"q"-\\-\n-end',
    'HW-ÉCOLE-ÜBER-ΣΊΣΥΦΟΣ',
    'hw 😀 \t tab \u2028 sep',
  ];
  for (const base of hardwareIds) {
    it(`hardware id ${JSON.stringify(base)}: activate, check, variables, deactivate`, async () => {
      const hw = `${base}-${uniq('x')}`;
      const lic = lt.createLicense({ type: 'time-limited', validUntil: '2034-07-08' });
      const api = lt.api();
      const act = await expectOk(() => api.activateLicense({ ...ident(lic, hw), variables: { note: 'é/"\n' } }));
      assert.equal(act.hardware_id, hw);
      assert.equal(act.validity_period, '2034-07-08T00:00:00.000Z');
      const chk = await expectOk(() => api.checkLicense(ident(lic, hw)));
      assert.equal(chk.hardware_id, hw);
      assert.equal(chk.license_active, true);
      const got = await expectOk(() => api.getDeviceVariables(ident(lic, hw)));
      assert.deepEqual(got.map((v) => [v.variable, v.value]), [['note', 'é/"\n']]);
      assert.deepEqual(lt.devices(lic.license_key).map((d) => d.hardware_id), [hw]);
      assert.equal(await expectOk(() => api.deactivateLicense(ident(lic, hw)), { signed: false }), true);
    });
  }

  it('license key with lowercase letters verifies (v1 signing string is lowercased)', async () => {
    const key = `Mixed-Case-${uniq('Key')}`;
    const lic = lt.createLicense({ key });
    const hw = uniq('HW-Upper');
    const res = await expectOk(() => lt.api().activateLicense(ident(lic, hw)));
    assert.equal(res.license_key, key);
    assert.equal(res.hardware_id, hw);
  });
});
