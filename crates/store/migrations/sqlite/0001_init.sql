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
    floating_timeout INTEGER NOT NULL DEFAULT 0,   -- minutes
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, code)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    company_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, email)
);

CREATE TABLE licenses (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    customer_id INTEGER REFERENCES customers(id),
    license_key TEXT,                     -- NULL on user-based licenses
    license_type TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    is_trial BOOLEAN NOT NULL DEFAULT FALSE,
    prevent_vm BOOLEAN NOT NULL DEFAULT FALSE,
    start_date INTEGER,
    validity_period INTEGER,
    grace_period INTEGER NOT NULL DEFAULT 0,          -- hours
    allow_grace_period BOOLEAN NOT NULL DEFAULT FALSE,
    maintenance_period INTEGER,
    max_activations INTEGER NOT NULL DEFAULT 1,
    allow_unlimited_activations BOOLEAN NOT NULL DEFAULT FALSE,
    times_activated INTEGER NOT NULL DEFAULT 0,
    devices_seen INTEGER NOT NULL DEFAULT 0,
    transfer_count INTEGER NOT NULL DEFAULT 0,
    max_transfers INTEGER NOT NULL DEFAULT 0,
    max_license_users INTEGER NOT NULL DEFAULT 0,
    is_floating_cloud BOOLEAN NOT NULL DEFAULT FALSE,
    floating_users INTEGER NOT NULL DEFAULT 0,
    floating_timeout INTEGER NOT NULL DEFAULT 0,      -- minutes
    can_borrow BOOLEAN NOT NULL DEFAULT FALSE,
    max_borrow_time INTEGER NOT NULL DEFAULT 0,       -- hours
    max_consumptions INTEGER NOT NULL DEFAULT 0,
    total_consumptions INTEGER NOT NULL DEFAULT 0,
    allow_unlimited_consumptions BOOLEAN NOT NULL DEFAULT FALSE,
    allow_negative_consumptions BOOLEAN NOT NULL DEFAULT FALSE,
    allow_overages BOOLEAN NOT NULL DEFAULT FALSE,
    max_overages INTEGER NOT NULL DEFAULT 0,
    reset_consumption BOOLEAN NOT NULL DEFAULT FALSE,
    consumption_period TEXT,
    consumption_reset_at INTEGER,         -- when the counter last started from zero
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, license_key)
);
CREATE INDEX licenses_by_key ON licenses (company_id, license_key);
CREATE INDEX licenses_by_customer ON licenses (customer_id);

CREATE TABLE license_users (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    customer_id INTEGER REFERENCES customers(id),
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    initial_password TEXT,                -- sealed with the master key; NULL once changed
    is_initial_password BOOLEAN NOT NULL DEFAULT TRUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    phone_number TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, email)
);

CREATE TABLE license_assignments (
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    license_user_id INTEGER NOT NULL REFERENCES license_users(id),
    max_activations INTEGER NOT NULL DEFAULT 1,
    allow_unlimited_activations BOOLEAN NOT NULL DEFAULT FALSE,
    total_activations INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (license_id, license_user_id)
);
CREATE INDEX assignments_by_user ON license_assignments (license_user_id);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    license_user_id INTEGER REFERENCES license_users(id),
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
    floating_until INTEGER,               -- floating seat lease end
    borrowed_until INTEGER,
    license_signature TEXT,               -- cached v1 signature ...
    signature_validity INTEGER,           -- ... and the validity_period it was made for (NULL: none)
    answer_digest TEXT,                   -- SHA-256 (base64) of the last check answer's bytes ...
    answer_signature TEXT,                -- ... and its LicenseSignature, reused while the answer is unchanged
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

CREATE TABLE product_features (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    feature_type TEXT NOT NULL,           -- activation | consumption
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, code)
);

CREATE TABLE license_features (
    id INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    product_feature_id INTEGER NOT NULL REFERENCES product_features(id),
    expiry_date INTEGER,
    max_consumption INTEGER NOT NULL DEFAULT 0,
    total_consumptions INTEGER NOT NULL DEFAULT 0,
    allow_unlimited_consumptions BOOLEAN NOT NULL DEFAULT FALSE,
    allow_negative_consumptions BOOLEAN NOT NULL DEFAULT FALSE,
    allow_overages BOOLEAN NOT NULL DEFAULT FALSE,
    max_overages INTEGER NOT NULL DEFAULT 0,
    reset_consumption BOOLEAN NOT NULL DEFAULT FALSE,
    consumption_period TEXT,
    consumption_reset_at INTEGER,
    is_floating_cloud BOOLEAN NOT NULL DEFAULT FALSE,
    floating_users INTEGER NOT NULL DEFAULT 0,
    floating_timeout INTEGER NOT NULL DEFAULT 0,      -- minutes
    max_borrow_time INTEGER NOT NULL DEFAULT 0,       -- hours
    UNIQUE (license_id, product_feature_id)
);

CREATE TABLE feature_seats (
    license_feature_id INTEGER NOT NULL REFERENCES license_features(id),
    device_id INTEGER NOT NULL REFERENCES devices(id),
    floating_until INTEGER,
    borrowed_until INTEGER,
    PRIMARY KEY (license_feature_id, device_id)
);

-- One trial per product and hardware id, and per product and e-mail: the unique keys are the guards.
CREATE TABLE trials (
    product_id INTEGER NOT NULL REFERENCES products(id),
    hardware_id TEXT NOT NULL,
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    email TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (product_id, hardware_id),
    UNIQUE (product_id, email)
);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    version TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    installation_file TEXT NOT NULL,      -- download URL
    hash_md5 TEXT,
    size TEXT,
    eula_link TEXT,
    release_notes_link TEXT,
    requires_version TEXT,
    release_date INTEGER,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, version, environment, channel)
);
