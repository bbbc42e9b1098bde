//! Attempt windows on both backends: counted per company, kind and subject in a fixed window that
//! starts at the first attempt; a returned attempt un-counts; pruning forgets old windows.

mod support;

use chrono::{Duration, TimeZone, Utc};
use latch_store::{AttemptKind, AttemptWindow, NewCompany};
use support::{databases, master_key, open};

#[tokio::test]
async fn attempts_count_per_kind_and_subject_in_fixed_windows() {
    for (url, schema) in databases("attempts") {
        let store = open(&url, schema.as_deref(), &master_key()).await;
        let company = store
            .create_company(
                NewCompany {
                    name: "Acme",
                    signing_key_pkcs8: b"key",
                    public_key_pem: "PEM",
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let t0 = Utc.timestamp_millis_opt(1_900_000_000_000).unwrap();
        let window = Duration::seconds(60);
        let take = |kind, subject: &'static str, at| {
            let store = store.clone();
            async move {
                store
                    .take_attempt(company.id, kind, subject, at, window)
                    .await
                    .unwrap()
            }
        };
        let counted = |count, window_start| AttemptWindow {
            count,
            window_start,
        };
        use AttemptKind::{Activation, Password};
        for n in 1..=3 {
            assert_eq!(
                take(Password, "ann", t0 + Duration::seconds(n)).await,
                counted(n, t0 + Duration::seconds(1)),
                "{url}"
            );
        }
        // Another kind or subject has a window of its own.
        assert_eq!(take(Activation, "ann", t0).await, counted(1, t0), "{url}");
        assert_eq!(take(Password, "bob", t0).await, counted(1, t0), "{url}");

        store
            .return_attempt(company.id, Password, "ann")
            .await
            .unwrap();
        let last_moment = t0 + Duration::seconds(61) - Duration::milliseconds(1);
        assert_eq!(
            take(Password, "ann", last_moment).await,
            counted(3, t0 + Duration::seconds(1)),
            "{url}"
        );
        // The window ends `window` after its first attempt: the next attempt starts a new one.
        let next_window = t0 + Duration::seconds(61);
        assert_eq!(
            take(Password, "ann", next_window).await,
            counted(1, next_window),
            "{url}"
        );

        store.prune_guards(t0 + Duration::seconds(1)).await.unwrap();
        assert_eq!(
            take(Password, "bob", next_window).await,
            counted(1, next_window),
            "{url}: the pruned window is forgotten"
        );
        assert_eq!(
            take(Password, "ann", next_window).await,
            counted(2, next_window),
            "{url}: a later window is kept"
        );
    }
}
