-- Bulk license imports from CSV: one row per uploaded file, its progress written by the node that
-- runs it (so every node can show it), and one row per refused line. A running import whose
-- `updated_at` stops moving was cut short (its node stopped); the licenses it committed stay.
CREATE TABLE license_imports (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    file_name TEXT NOT NULL,
    actor_type TEXT NOT NULL,              -- who started it, as the event log names actors
    actor_id TEXT,
    status TEXT NOT NULL,                  -- running | finished
    total_rows INTEGER NOT NULL,
    processed_rows INTEGER NOT NULL DEFAULT 0,
    imported_rows INTEGER NOT NULL DEFAULT 0,
    failed_rows INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX license_imports_by_company ON license_imports (company_id, id);

CREATE TABLE license_import_errors (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES license_imports(id),
    row_number INTEGER NOT NULL,           -- as a spreadsheet numbers rows: the header is row 1
    column_name TEXT NOT NULL,             -- empty when the whole row was refused
    message TEXT NOT NULL
);
CREATE INDEX license_import_errors_by_import ON license_import_errors (import_id, row_number);
