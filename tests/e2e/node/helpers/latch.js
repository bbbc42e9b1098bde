'use strict';
// Test harness for the Node SDK end-to-end suite: a private data dir, the `latch` CLI (--json),
// a `latch serve` process on a free port, SDK clients wired to it, and assertion helpers.

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sdk = require('@licensespring/node-sdk');

const LATCH_BIN = process.env.LATCH_BIN
  ? path.resolve(process.env.LATCH_BIN)
  : path.resolve(__dirname, '../../../../target/debug/latch');

const STARTUP_TIMEOUT_MS = 20_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// HTTP recorder: the SDK uses the default axios instance; watch what actually came over the wire
// (HTTP status, headers) without changing what the SDK sees.
const axios = require(require.resolve('axios', { paths: [path.dirname(require.resolve('@licensespring/node-sdk'))] }));
const wire = { last: null };
axios.interceptors.response.use(
  (res) => { wire.last = { status: res.status, headers: res.headers, data: res.data, url: res.config.url }; return res; },
  (err) => {
    wire.last = err.response
      ? { status: err.response.status, headers: err.response.headers, data: err.response.data, url: err.config && err.config.url }
      : { status: null, error: err.code };
    return Promise.reject(err);
  },
);

// ---------------------------------------------------------------------------------------------
let seq = 0;
const RUN = crypto.randomBytes(3).toString('hex');
/** A unique, readable identifier (hardware ids, product codes). */
function uniq(label) {
  seq += 1;
  return `${label}-${RUN}-${seq}`;
}

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for the next wall-clock second. Latch answers a signed request identical to one it answered
 * successfully with the same `Date` (one-second resolution) as a replay, without running it again; a test
 * that repeats a call on purpose waits for a new `Date` first, as a real client would.
 */
const nextSecond = () => sleep(1010 - (Date.now() % 1000));

/** ISO string of a moment `ms` from now, rounded up to a whole second (what the server should echo). */
function isoSecondsFromNow(ms) {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString();
}

class Latch {
  constructor(name) {
    this.name = name;
    this.dataDir = tmpDir('latch-e2e-node-');
    this.env = { ...process.env, LATCH_DATA_DIR: this.dataDir };
    delete this.env.LATCH_DATABASE_URL;
    delete this.env.LATCH_DATABASE_SCHEMA;
    if (process.env.LATCH_TEST_DATABASE_URL) {
      // PostgreSQL: one fresh schema per Latch instance (= per test file); every CLI call and the server use it.
      this.schema = `e2e_node_${crypto.randomBytes(6).toString('hex')}`;
      this.env.LATCH_DATABASE_URL = process.env.LATCH_TEST_DATABASE_URL;
      this.env.LATCH_DATABASE_SCHEMA = this.schema;
    } else {
      this.schema = null;
    }
    this.server = null;
    this.stderr = '';
    this.scratch = [this.dataDir];
  }

  scratchDir(prefix) {
    const d = tmpDir(prefix);
    this.scratch.push(d);
    return d;
  }

  // --- CLI ------------------------------------------------------------------------------------
  /** Run the CLI without --json; returns {status, stdout, stderr}. */
  cliRaw(...args) {
    const r = spawnSync(LATCH_BIN, args, { env: this.env, encoding: 'utf8', timeout: 30_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Run `latch ARGS --json`, require exit 0 and exactly one JSON object on stdout. */
  cli(...args) {
    const r = this.cliRaw(...args, '--json');
    assert.equal(r.status, 0, `latch ${args.join(' ')} --json exited ${r.status}: ${r.stderr}`);
    let out;
    try {
      out = JSON.parse(r.stdout);
    } catch (e) {
      assert.fail(`latch ${args.join(' ')} --json printed non-JSON stdout: ${JSON.stringify(r.stdout)}`);
    }
    assert.equal(typeof out, 'object');
    return out;
  }

  // --- fixture objects --------------------------------------------------------------------------
  createProduct(label, { preventVm = false, name } = {}) {
    const code = uniq(label);
    const args = ['product', 'create', '--company', String(this.company.company_id), '--code', code, '--name', name || `Product ${code}`];
    if (preventVm) args.push('--prevent-vm');
    const out = this.cli(...args);
    assert.equal(out.code, code);
    return out;
  }

  /**
   * Create a license. opts: {product, key, maxActivations, type, validUntil, startDate, disabled, preventVm}
   * Returns the CLI object (license_id, license_key, ...).
   */
  createLicense(opts = {}) {
    const product = opts.product || this.product.code;
    const args = ['license', 'create', '--company', String(this.company.company_id), '--product', product];
    if (opts.key) args.push('--key', opts.key);
    if (opts.maxActivations !== undefined) args.push('--max-activations', String(opts.maxActivations));
    if (opts.type) args.push('--type', opts.type);
    if (opts.validUntil) args.push('--valid-until', opts.validUntil);
    if (opts.startDate) args.push('--start-date', opts.startDate);
    if (opts.disabled) args.push('--disabled');
    if (opts.preventVm) args.push('--prevent-vm');
    const out = this.cli(...args);
    assert.equal(typeof out.license_key, 'string');
    if (opts.key) assert.equal(out.license_key, opts.key);
    return { ...out, product };
  }

  get cid() {
    return String(this.company.company_id);
  }

  /** `latch license create --product P FLAGS...` with raw flags (any license model); user-based licenses have no key. */
  createLicenseWith(product, flags = []) {
    const out = this.cli('license', 'create', '--company', this.cid, '--product', product, ...flags.map(String));
    assert.ok(Number.isInteger(out.license_id), `license create: no license_id in ${JSON.stringify(out)}`);
    return { ...out, product };
  }

  /** A product with extra flags (--user-based, --allow-trial, --trial-days N ...). */
  createProductWith(label, flags = []) {
    const code = uniq(label);
    const out = this.cli('product', 'create', '--company', this.cid, '--code', code, '--name', `Product ${code}`, ...flags.map(String));
    assert.equal(out.code, code);
    return out;
  }

  addProductFeature(product, code, type = 'activation') {
    return this.cli('product', 'add-feature', '--company', this.cid, '--product', product, '--code', code, '--name', `Feature ${code}`, '--type', type);
  }

  /** Grant feature F to a license (by id, so it works for user-based licenses too). */
  addLicenseFeature(lic, feature, flags = []) {
    return this.cli('license', 'add-feature', '--license-id', String(lic.license_id), '--company', this.cid, '--feature', feature, ...flags.map(String));
  }

  addRelease(product, version, flags = []) {
    return this.cli('product', 'add-release', '--company', this.cid, '--product', product, '--version', version, '--url', `https://dl.example.com/${product}/app-${version}.zip`, ...flags.map(String));
  }

  createCustomer(email, flags = []) {
    return this.cli('customer', 'create', '--company', this.cid, '--email', email, ...flags.map(String));
  }

  createUser(email, flags = []) {
    return this.cli('user', 'create', '--company', this.cid, '--email', email, ...flags.map(String));
  }

  assignUser(lic, email, flags = []) {
    return this.cli('license', 'assign-user', '--license-id', String(lic.license_id), '--company', this.cid, '--user', email, ...flags.map(String));
  }

  showLicenseById(id) {
    return this.cli('license', 'show', '--id', String(id), '--company', this.cid);
  }

  devicesById(id) {
    return this.cli('device', 'list', '--license-id', String(id), '--company', this.cid).devices;
  }

  showLicense(key) {
    return this.cli('license', 'show', key);
  }

  devices(key) {
    return this.cli('device', 'list', '--license', key).devices;
  }

  // --- server -----------------------------------------------------------------------------------
  async start({ products = [] } = {}) {
    assert.ok(fs.existsSync(LATCH_BIN), `latch binary not found at ${LATCH_BIN} (set LATCH_BIN)`);
    this.company = this.cli('company', 'create', '--name', `e2e node ${this.name}`);
    for (const k of ['company_id', 'api_key', 'shared_key', 'public_key_pem']) assert.ok(this.company[k], `company create: missing ${k}`);
    // The backend in use must be the one asked for: no SQLite file when running on PostgreSQL, one otherwise.
    assert.equal(fs.existsSync(path.join(this.dataDir, 'latch.db')), !this.schema,
      this.schema ? `LATCH_DATABASE_URL is PostgreSQL (schema ${this.schema}) but latch.db was created` : 'latch.db missing in LATCH_DATA_DIR');
    this.product = this.createProduct('main');
    for (const p of products) this[p.as] = this.createProduct(p.label || p.as, p);
    await this.startServer();
    return this;
  }

  startServer() {
    const proc = spawn(LATCH_BIN, ['serve', '--listen', '127.0.0.1:0'], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = proc;
    this.exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { this.stderr += d; if (process.env.LATCH_E2E_VERBOSE) process.stderr.write(d); });
    proc.stdout.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      let buf = '';
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        proc.kill('SIGKILL');
        reject(new Error(`latch serve did not print "listening on" within ${STARTUP_TIMEOUT_MS} ms; stdout=${JSON.stringify(buf)} stderr=${this.stderr}`));
      }, STARTUP_TIMEOUT_MS);
      proc.stdout.on('data', (d) => {
        buf += d;
        if (done) return;
        const m = /^listening on (https?:\/\/127\.0\.0\.1:(\d+))\r?$/m.exec(buf);
        if (m) {
          done = true;
          clearTimeout(timer);
          this.baseUrl = m[1];
          this.port = Number(m[2]);
          this.apiPath = `${this.baseUrl}/api/v4`;
          resolve(this.baseUrl);
        }
      });
      this.exit.then(({ code, signal }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(new Error(`latch serve exited early (code ${code}, signal ${signal}): ${this.stderr}`));
      });
    });
  }

  /** SIGTERM the server and wait; returns {code, signal, timedOut}. */
  async stopServer() {
    if (!this.server) return { code: 0, signal: null, timedOut: false };
    const proc = this.server;
    this.server = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return { ...(await this.exit), timedOut: false, alreadyExited: true };
    proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((r) => { timer = setTimeout(() => r(null), SHUTDOWN_TIMEOUT_MS); });
    const res = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (res === null) {
      proc.kill('SIGKILL');
      return { ...(await this.exit), timedOut: true };
    }
    return { ...res, timedOut: false };
  }

  /** For `after`: stop, assert a clean exit, remove the data dir. */
  async stop() {
    const res = await this.stopServer();
    try {
      assert.deepEqual(
        { code: res.code, signal: res.signal, timedOut: res.timedOut, alreadyExited: !!res.alreadyExited },
        { code: 0, signal: null, timedOut: false, alreadyExited: false },
        `latch serve did not exit cleanly on SIGTERM; stderr:\n${this.stderr}`,
      );
    } finally {
      if (!process.env.LATCH_E2E_KEEP) for (const d of this.scratch) fs.rmSync(d, { recursive: true, force: true });
    }
  }

  // --- SDK clients --------------------------------------------------------------------------------
  sdkConfig(overrides = {}) {
    return {
      apiKey: this.company.api_key,
      sharedKey: this.company.shared_key,
      apiPath: this.apiPath,
      publicKey: this.company.public_key_pem,
      appName: 'latch-e2e-node',
      appVersion: '1.0.0',
      logLevel: 'off',
      ...overrides,
    };
  }

  /** Low-level client (exact server codes). */
  api(overrides = {}) {
    return new sdk.LicenseAPI(this.sdkConfig(overrides));
  }

  /** High-level manager with its own license-file dir; gracePeriod 0 so errors are never swallowed. */
  manager({ productCode, hardwareID, ...overrides }) {
    return new sdk.LicenseManager(this.sdkConfig({
      productCode: productCode || this.product.code,
      hardwareID,
      filePath: this.scratchDir('latch-e2e-lsfile-'),
      filename: 'license',
      gracePeriod: 0,
      ...overrides,
    }));
  }
}

/** A unique e-mail address (license users, customers). */
function uniqEmail(label) {
  return `${uniq(label)}@e2e.example.com`.toLowerCase();
}

/**
 * Verify a license body's v1 `license_signature` ourselves (spec §5.2): RSA-SHA256 over
 * lowercase(`hardware_id#ident#validity_period ISO or ''`) with the company key. Returns true/false.
 */
function licenseSignatureV1Valid(publicKeyPem, lic, hardwareId, ident) {
  const validity = lic.validity_period ? new Date(lic.validity_period).toISOString() : '';
  const v = crypto.createVerify('RSA-SHA256');
  v.update(`${hardwareId}#${ident}#${validity}`.toLowerCase());
  return v.verify(publicKeyPem, lic.license_signature, 'base64');
}

// ---------------------------------------------------------------------------------------------
// Assertions

/**
 * Run `fn` (an SDK call) and require it to reject with the server's error body {status, code, message}
 * (a plain object, as the Node SDK rethrows it) and the HTTP status to equal the body's status.
 */
async function expectApiError(fn, status, code, { checkWire = true } = {}) {
  wire.last = null;
  let err;
  let value;
  try {
    value = await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `expected ${status} ${code}, but the call succeeded: ${JSON.stringify(value)?.slice(0, 300)}`);
  assert.ok(!(err instanceof Error), `expected an API error body ${status} ${code}, got ${err && err.stack}`);
  assert.deepEqual({ status: err.status, code: err.code }, { status, code }, `error body: ${JSON.stringify(err)}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'error message must not be empty');
  if (checkWire) {
    assert.ok(wire.last, 'no HTTP response recorded');
    assert.equal(wire.last.status, status, `HTTP status ${wire.last.status} != body status ${status}`);
    assert.deepEqual(wire.last.data, err, 'SDK error must be the raw server body');
  }
  return err;
}

/** Run `fn`, require success, and require the response to be HTTP 200 JSON with a LicenseSignature header. */
async function expectOk(fn, { signed = true } = {}) {
  wire.last = null;
  let value;
  try {
    value = await fn();
  } catch (e) {
    assert.fail(`expected success, got ${e instanceof Error ? e.stack : JSON.stringify(e)}`);
  }
  assert.ok(wire.last, 'no HTTP response recorded');
  assert.equal(wire.last.status, 200);
  assert.match(String(wire.last.headers['content-type']), /^application\/json/);
  if (signed) assert.equal(typeof wire.last.headers.licensesignature, 'string');
  return value;
}

const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Assert the license object fields every activation/check response must carry (spec §3.1). */
function assertLicenseShape(lic) {
  const types = {
    id: 'number', license_key: 'string', license_type: 'string', is_expired: 'boolean', is_trial: 'boolean',
    allow_grace_period: 'boolean', times_activated: 'number', max_activations: 'number',
    allow_unlimited_activations: 'boolean', transfer_count: 'number', max_transfers: 'number', prevent_vm: 'boolean',
    is_floating: 'boolean', is_floating_cloud: 'boolean', license_signature: 'string', hardware_id: 'string',
    device_id: 'number', grace_period: 'number', allow_overages: 'boolean', max_overages: 'number',
  };
  for (const [k, t] of Object.entries(types)) assert.equal(typeof lic[k], t, `license.${k} should be ${t}, got ${JSON.stringify(lic[k])}`);
  for (const k of ['id', 'device_id', 'times_activated', 'max_activations']) assert.ok(Number.isInteger(lic[k]), `${k} must be an integer`);
  for (const k of ['validity_period', 'start_date', 'maintenance_period']) {
    assert.ok(k in lic, `license.${k} must be present`);
    if (lic[k] !== null) assert.match(lic[k], ISO_MS_Z, `license.${k}`);
  }
  assert.ok(Array.isArray(lic.product_features), 'product_features must be an array');
  assert.ok(Array.isArray(lic.custom_fields), 'custom_fields must be an array');
  assert.equal(typeof lic.metadata, 'object');
  assert.ok(lic.metadata !== null && !Array.isArray(lic.metadata), 'metadata must be an object');
  assert.equal(typeof lic.customer, 'object');
  assert.equal(typeof lic.product_details, 'object');
  assert.equal(lic.product_details.authorization_method, 'license-key');
}

module.exports = {
  sdk, Latch, LATCH_BIN, wire, uniq, uniqEmail, licenseSignatureV1Valid, sleep, nextSecond, tmpDir, isoSecondsFromNow, expectApiError, expectOk, assertLicenseShape, ISO_MS_Z,
};
