//! Migration 0020 on a database made by the migrations before it: each license gets the number of
//! its active devices, and the triggers keep it exact through every kind of device write after.

mod support;

use std::path::Path;

use support::{databases, master_key, open, Database};

/// The first migration that counts active devices.
const COUNTING_MIGRATION: &str = "0020";

/// The backend's migrations before [`COUNTING_MIGRATION`], copied to `into`.
fn earlier_migrations(backend: &str, into: &Path) {
    let all = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < COUNTING_MIGRATION {
            std::fs::copy(&path, into.join(name)).unwrap();
        }
    }
}

#[tokio::test]
async fn an_upgrade_counts_active_devices_and_the_triggers_keep_the_count() {
    for (url, schema) in databases("active_device_counts") {
        let backend = if schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let scratch = tempfile::tempdir().unwrap();
        earlier_migrations(backend, scratch.path());
        let database = Database::open(&url, schema.as_deref()).await;
        database.migrate(scratch.path()).await;
        // Licenses 1 (two active devices of three), 2 (one inactive device) and 3 (none).
        for statement in [
            "INSERT INTO companies (id, name, signing_key, public_key_pem, created_at) \
             VALUES (1, 'Acme', 'sealed', 'PEM', 0)",
            "INSERT INTO products (id, company_id, code, name, created_at) VALUES (1, 1, 'app', 'App', 0)",
            "INSERT INTO licenses (id, company_id, product_id, license_key, license_type, created_at) \
             VALUES (1, 1, 1, 'K-1', 'perpetual', 0), (2, 1, 1, 'K-2', 'perpetual', 0), \
             (3, 1, 1, 'K-3', 'perpetual', 0)",
            "INSERT INTO devices (license_id, hardware_id, active, created_at) \
             VALUES (1, 'a', TRUE, 0), (1, 'b', TRUE, 0), (1, 'c', FALSE, 0), (2, 'd', FALSE, 0)",
        ] {
            database.execute(statement).await;
        }

        // Opening the store applies the rest, 0020 included.
        drop(open(&url, schema.as_deref(), &master_key()).await);
        assert_eq!(
            database
                .rows("SELECT id, active_devices FROM licenses ORDER BY id")
                .await,
            [(1, 2), (2, 0), (3, 0)],
            "{backend}"
        );

        for statement in [
            "UPDATE devices SET active = FALSE WHERE hardware_id = 'a'",
            "UPDATE devices SET active = TRUE WHERE hardware_id = 'd'",
            "INSERT INTO devices (license_id, hardware_id, created_at) VALUES (3, 'e', 0)",
            "UPDATE devices SET license_id = 3 WHERE hardware_id = 'b'",
            "DELETE FROM devices WHERE hardware_id = 'e'",
            // A write a check makes behind itself changes nothing counted.
            "UPDATE devices SET last_check_at = 5",
            "INSERT INTO devices (license_id, hardware_id, created_at) VALUES (2, 'f', 0) \
             ON CONFLICT (license_id, hardware_id) DO UPDATE SET active = FALSE",
            "INSERT INTO devices (license_id, hardware_id, created_at) VALUES (2, 'f', 0) \
             ON CONFLICT (license_id, hardware_id) DO UPDATE SET active = FALSE",
        ] {
            database.execute(statement).await;
        }
        assert_eq!(
            database
                .rows("SELECT id, active_devices FROM licenses ORDER BY id")
                .await,
            [(1, 0), (2, 1), (3, 1)],
            "{backend}"
        );
    }
}
