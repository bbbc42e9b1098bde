-- Whether License API answers show license users' initial passwords beyond the trial that created them.
ALTER TABLE companies ADD COLUMN expose_initial_passwords BOOLEAN NOT NULL DEFAULT FALSE;

-- Password attempts per license user name (as sent, lower-cased), counted in a fixed window that starts
-- at the first attempt: shared by every node, so the limit holds whichever node a guess reaches.
CREATE TABLE password_attempts (
    company_id BIGINT NOT NULL REFERENCES companies(id),
    username TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    PRIMARY KEY (company_id, username)
);

-- Answers to state-changing License API requests by a hash of the request (API key, Date, signature,
-- method, path, body): an identical request within the Date window gets the stored answer instead of
-- running again. status is NULL while the first request is still running.
CREATE TABLE request_answers (
    request_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    status BIGINT,
    body TEXT,
    signature TEXT
);
CREATE INDEX request_answers_created_at ON request_answers (created_at);
