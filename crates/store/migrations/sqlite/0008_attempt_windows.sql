-- Attempts counted per company, kind and subject in a fixed window that starts at the subject's first
-- attempt, shared by every node so the limit holds whichever node an attempt reaches: `password`
-- attempts per license user name (lower-cased), `activation` attempts per license (its key, or the
-- license user's name). Replaces password_attempts, whose open windows carry over.
CREATE TABLE attempt_windows (
    company_id INTEGER NOT NULL REFERENCES companies(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (company_id, kind, subject)
);
CREATE INDEX attempt_windows_window_start ON attempt_windows (window_start);

INSERT INTO attempt_windows (company_id, kind, subject, window_start, attempts)
    SELECT company_id, 'password', username, window_start, attempts FROM password_attempts;
DROP TABLE password_attempts;
