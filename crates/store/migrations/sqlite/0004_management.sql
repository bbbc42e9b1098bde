-- Management API keys: only a SHA-256 of each key is kept (keys are long random strings, so a fast
-- hash is enough and lets every request find its key by an indexed equality).
CREATE TABLE management_keys (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    prefix TEXT NOT NULL,                 -- the part before the dot, shown in listings
    key_hash TEXT NOT NULL UNIQUE,
    read_only BOOLEAN NOT NULL DEFAULT FALSE,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

-- The event log, written in the transaction of the change it records; `id` orders it and makes it an
-- outbox that deliveries can follow.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    event TEXT NOT NULL,
    ts INTEGER NOT NULL,
    actor_type TEXT NOT NULL,             -- management_key | cli | device | staff
    actor_id TEXT,
    license_id INTEGER,
    customer_id INTEGER,
    device_id INTEGER,
    product_id INTEGER,
    order_id INTEGER,
    license_user_id INTEGER,
    data TEXT NOT NULL DEFAULT '{}'       -- what changed, as JSON
);
CREATE INDEX events_by_company ON events (company_id, id);
CREATE INDEX events_by_license ON events (license_id, id);
CREATE INDEX events_by_customer ON events (customer_id, id);

-- Checks are counted per license and hour by the write-behind batch instead of logged one by one.
CREATE TABLE check_counts (
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    hour INTEGER NOT NULL,                -- epoch milliseconds at the start of the hour
    checks INTEGER NOT NULL,
    PRIMARY KEY (license_id, hour)
);
