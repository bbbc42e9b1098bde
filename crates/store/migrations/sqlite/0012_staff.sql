-- Dashboard staff: people of one company who sign in to the dashboard. An e-mail address names one
-- staff account across all companies, so the sign-in form needs nothing else.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    email TEXT NOT NULL UNIQUE,            -- lower-cased
    password_hash TEXT NOT NULL,           -- argon2id, PHC string
    role TEXT NOT NULL,                    -- admin | support | viewer
    totp_secret TEXT,                      -- sealed base32 secret of the second factor, when it is on
    created_at INTEGER NOT NULL
);
CREATE INDEX staff_by_company ON staff (company_id, id);

-- Dashboard sessions, in the database so every node honours them; only a SHA-256 of each session's
-- cookie value is kept. Signing out or revoking deletes the rows.
CREATE TABLE staff_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);
