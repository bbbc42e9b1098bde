-- Webhook endpoints: where a company's events are delivered. Secrets are sealed like shared keys; a
-- rotated-out secret stays valid (deliveries carry its signature too) until `previous_secret_until`.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL,                  -- the subscribed patterns as given, a JSON list
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,                  -- gone (410) | failing; null when enabled or disabled by the vendor
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until INTEGER,
    failing_since INTEGER,                 -- the first failed attempt since the last success
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_company ON webhook_endpoints (company_id);

-- One row per subscribed pattern: `license.activated`, `license.*` or `*`; matched in SQL when an
-- event is recorded.
CREATE TABLE webhook_subscriptions (
    endpoint_id INTEGER NOT NULL,
    pattern TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, pattern)
);

-- The outbox: one row per (endpoint, event), inserted in the transaction that records the event, so
-- every committed event has its deliveries and none is lost by a crash. No foreign key to the endpoint:
-- deleting an endpoint must never fail a concurrent change; rows of a deleted endpoint are never claimed.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    company_id INTEGER NOT NULL,
    license_id INTEGER,                    -- deliveries of one license go out in event order
    status TEXT NOT NULL DEFAULT 'pending', -- pending | succeeded | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by TEXT,                       -- the claim of the node sending it ...
    claimed_until INTEGER,                 -- ... which others take over after this time
    body TEXT,                             -- the payload, fixed by the first attempt
    last_status INTEGER,
    last_error TEXT,
    last_response TEXT,                    -- the first 2 KB of the last answer
    last_attempt_at INTEGER,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_in_order ON webhook_deliveries (endpoint_id, license_id, event_id)
    WHERE status = 'pending';

-- Every attempt: when, the answer's status and first 2 KB, or why there was none.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    error TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
