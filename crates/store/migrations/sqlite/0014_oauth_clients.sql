-- OAuth clients of the License API (the client credentials grant). The secret is sealed with the
-- master key rather than hashed: offline files made under OAuth are HMAC'd with it, so Latch must be
-- able to compute those HMACs again.
CREATE TABLE oauth_clients (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,          -- sealed with the master key
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);
CREATE INDEX oauth_clients_by_company ON oauth_clients (company_id, id);

-- Access tokens issued to OAuth clients, in the database so every node accepts them; only a SHA-256 of
-- each token is kept. Rows outlive their token by a day, so that an expired token is told from a
-- garbled one; issuing a token deletes older rows.
CREATE TABLE oauth_tokens (
    token_hash TEXT PRIMARY KEY,
    oauth_client_id INTEGER NOT NULL REFERENCES oauth_clients(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_tokens_by_expiry ON oauth_tokens (expires_at);
