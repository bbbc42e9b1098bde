'use strict';
// HTTPS built in: latch started with LATCH_TLS_CERT / LATCH_TLS_KEY, issued by a CA made here, serves the
// Node SDK over https. Node reads NODE_EXTRA_CA_CERTS only at start, so the SDK runs in a child process.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const forge = require('node-forge');
const { Latch, uniq } = require('./helpers/latch');

/** A CA and a server certificate for 127.0.0.1 signed by it, as PEM strings. */
function testCertificates() {
  const { pki } = forge;
  const make = (subject, issuer, publicKey, signingKey, extensions) => {
    const cert = pki.createCertificate();
    cert.publicKey = publicKey;
    // A random serial; a leading hex digit of 8 or more would make it negative.
    cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(8)).replace(/^[89a-f]/, '1');
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ name: 'commonName', value: subject }]);
    cert.setIssuer([{ name: 'commonName', value: issuer }]);
    cert.setExtensions(extensions);
    cert.sign(signingKey, forge.md.sha256.create());
    return pki.certificateToPem(cert);
  };
  const caKeys = pki.rsa.generateKeyPair(2048);
  const serverKeys = pki.rsa.generateKeyPair(2048);
  const ca = make('latch e2e test CA', 'latch e2e test CA', caKeys.publicKey, caKeys.privateKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const server = make('127.0.0.1', 'latch e2e test CA', serverKeys.publicKey, caKeys.privateKey, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  return { ca, server, serverKey: pki.privateKeyToPem(serverKeys.privateKey) };
}

// Run in a child process: activate and check one license through the SDK, print the answers.
const SDK_CALLS = `
const sdk = require('@licensespring/node-sdk');
const input = JSON.parse(process.env.TLS_TEST_INPUT);
const api = new sdk.LicenseAPI(input.config);
(async () => {
  const activated = await api.activateLicense(input.license);
  const checked = await api.checkLicense(input.license);
  console.log(JSON.stringify({ activated: activated.license_key, active: checked.license_active }));
})().catch((error) => { console.error(error instanceof Error ? error.stack : JSON.stringify(error)); process.exit(1); });
`;

const lt = new Latch('tls');
let caPath;
before(() => {
  const dir = lt.scratchDir('latch-e2e-tls-');
  const { ca, server, serverKey } = testCertificates();
  caPath = path.join(dir, 'ca.pem');
  fs.writeFileSync(caPath, ca);
  fs.writeFileSync(path.join(dir, 'server.pem'), server);
  fs.writeFileSync(path.join(dir, 'server.key'), serverKey);
  lt.env.LATCH_TLS_CERT = path.join(dir, 'server.pem');
  lt.env.LATCH_TLS_KEY = path.join(dir, 'server.key');
  return lt.start();
});
after(() => lt.stop());

describe('TLS', () => {
  it('the SDK activates and checks a license over https', () => {
    assert.match(lt.apiPath, /^https:\/\/127\.0\.0\.1:\d+\/api\/v4$/);
    const license = lt.createLicense();
    const input = {
      config: lt.sdkConfig(),
      license: { product: license.product, license_key: license.license_key, hardware_id: uniq('hw-tls') },
    };
    const run = spawnSync(process.execPath, ['-e', SDK_CALLS], {
      cwd: __dirname,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath, TLS_TEST_INPUT: JSON.stringify(input) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, `SDK over https failed: ${run.stderr}\nserver: ${lt.stderr}`);
    assert.deepEqual(JSON.parse(run.stdout), { activated: license.license_key, active: true });
  });
});
