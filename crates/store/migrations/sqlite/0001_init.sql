-- Timestamps are epoch milliseconds (UTC) in every backend, so both speak the same values.
CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    signing_key TEXT NOT NULL,            -- PKCS#8 private key, sealed with the master key
    public_key_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    api_key TEXT NOT NULL UNIQUE,
    shared_key TEXT NOT NULL,             -- sealed with the master key
    read_only BOOLEAN NOT NULL DEFAULT FALSE,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    authorization_method TEXT NOT NULL DEFAULT 'license-key',
    prevent_vm BOOLEAN NOT NULL DEFAULT FALSE,
    allow_trial BOOLEAN NOT NULL DEFAULT FALSE,
    trial_days INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, code)
);

CREATE TABLE licenses (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    license_key TEXT NOT NULL,
    license_type TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    is_trial BOOLEAN NOT NULL DEFAULT FALSE,
    prevent_vm BOOLEAN NOT NULL DEFAULT FALSE,
    start_date INTEGER,
    validity_period INTEGER,
    grace_period INTEGER NOT NULL DEFAULT 0,
    allow_grace_period BOOLEAN NOT NULL DEFAULT FALSE,
    max_activations INTEGER NOT NULL DEFAULT 1,
    allow_unlimited_activations BOOLEAN NOT NULL DEFAULT FALSE,
    times_activated INTEGER NOT NULL DEFAULT 0,
    transfer_count INTEGER NOT NULL DEFAULT 0,
    max_transfers INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, license_key)
);
CREATE INDEX licenses_by_key ON licenses (company_id, license_key);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    hardware_id TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    blacklisted BOOLEAN NOT NULL DEFAULT FALSE,
    is_vm BOOLEAN NOT NULL DEFAULT FALSE,
    vm_info TEXT,
    os_ver TEXT,
    hostname TEXT,
    ip TEXT,
    mac_address TEXT,
    app_ver TEXT,
    sdk_ver TEXT,
    license_signature TEXT,               -- cached v1 signature ...
    signature_validity INTEGER,           -- ... and the validity_period it was made for (NULL: none)
    created_at INTEGER NOT NULL,
    last_check_at INTEGER,
    UNIQUE (license_id, hardware_id)
);

CREATE TABLE device_variables (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (device_id, name)
);
