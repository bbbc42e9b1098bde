//! Writes queued behind check answers, applied in batches: each device keeps its latest check time and
//! each license's checks are counted per hour, whatever the batch's size and order.

mod support;

use chrono::{DateTime, Duration, Utc};
use latch_domain::DeviceId;
use latch_store::DeferredWrite;
use support::{databases, master_key, open, Database};

/// More devices than one statement of the batch carries.
const DEVICES: i64 = 1_234;

#[tokio::test]
async fn a_batch_writes_each_device_latest_check_and_counts_checks_per_license_and_hour() {
    for (url, schema) in databases("deferred_writes") {
        let database = Database::open(&url, schema.as_deref()).await;
        let store = open(&url, schema.as_deref(), &master_key()).await;
        database.company_and_product().await;
        for statement in [
            "INSERT INTO licenses (id, company_id, product_id, license_key, license_type, created_at) \
             VALUES (1, 1, 1, 'K-1', 'perpetual', 0), (2, 1, 1, 'K-2', 'perpetual', 0)",
            // Odd devices belong to license 1, even ones to license 2.
            &format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DEVICES}) \
                 INSERT INTO devices (license_id, hardware_id, active, created_at) \
                 SELECT 2 - i % 2, 'hw-' || i, TRUE, 0 FROM n"
            ),
        ] {
            database.execute(statement).await;
        }
        let ids = database
            .rows("SELECT id, license_id FROM devices ORDER BY id")
            .await;
        assert_eq!(ids.len(), DEVICES as usize);
        assert_eq!(ids[0].1, 1, "the first device is odd: license 1");

        let ten = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let checked = |device: i64, at: DateTime<Utc>| DeferredWrite::Checked {
            device_id: DeviceId::new(device),
            at,
        };
        // Every device at 10:15, then every device again at 11:05, newest first in the batch for
        // half of them: the newest time is kept whatever the order.
        let mut batch = Vec::new();
        for &(device, _) in &ids {
            let first = checked(device, ten + Duration::minutes(15));
            let second = checked(device, ten + Duration::minutes(65));
            if device % 4 == 0 {
                batch.extend([second, first]);
            } else {
                batch.extend([first, second]);
            }
        }
        store.apply_deferred(&batch).await.unwrap();
        // A second batch counts on top of the first.
        let later = ten + Duration::minutes(90);
        store
            .apply_deferred(&[checked(ids[0].0, later)])
            .await
            .unwrap();

        let backend = if schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let eleven_five = (ten + Duration::minutes(65)).timestamp_millis();
        let stale = database
            .rows(&format!(
                "SELECT id, last_check_at FROM devices WHERE last_check_at IS NULL \
                 OR last_check_at <> {eleven_five} ORDER BY id"
            ))
            .await;
        assert_eq!(
            stale,
            [(ids[0].0, later.timestamp_millis())],
            "{backend}: every device's latest check time"
        );

        // Keyed by license * 10 + hours after 10:00.
        let per_license = DEVICES / 2;
        let counts = database
            .rows(&format!(
                "SELECT license_id * 10 + (hour - {}) / 3600000, checks FROM check_counts \
                 ORDER BY license_id, hour",
                ten.timestamp_millis()
            ))
            .await;
        assert_eq!(
            counts,
            [
                (10, per_license),
                (11, per_license + 1),
                (20, per_license),
                (21, per_license)
            ],
            "{backend}: checks per license and hour"
        );
    }
}
