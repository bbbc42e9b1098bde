-- Customer accounts: organisations that buy licenses for their people and may sign them in through
-- their own identity provider (OpenID Connect). A customer belongs to at most one account; the
-- license users of its customers activate with an id token the account's provider issued.
CREATE TABLE customer_accounts (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    code TEXT NOT NULL,                    -- what the SDKs send as customer_account_code
    name TEXT NOT NULL DEFAULT '',
    oidc_issuer TEXT,                      -- NULL: no identity provider
    oidc_client_id TEXT,
    oidc_client_secret TEXT,               -- sealed with the master key
    oidc_redirect_uris TEXT NOT NULL DEFAULT '[]',   -- JSON list; the first is the default
    oidc_email_claim TEXT NOT NULL DEFAULT 'email',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, code)
);

ALTER TABLE customers ADD COLUMN customer_account_id INTEGER REFERENCES customer_accounts(id);
CREATE INDEX customers_by_account ON customers (customer_account_id);

-- License objects show their customer's account (id, code, name), so a renamed account changes the
-- checks of its customers' licenses.
CREATE TRIGGER customer_account_updated AFTER UPDATE OF code, name ON customer_accounts
BEGIN
    INSERT INTO license_changes (license_id)
    SELECT l.id FROM licenses l JOIN customers c ON c.id = l.customer_id
    WHERE c.customer_account_id = NEW.id;
END;
