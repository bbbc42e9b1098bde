//! A request's claim taken inside its activation's transaction, on both backends: it is stored with
//! the activation, refuses an identical request (which then activates nothing), goes with a refused
//! activation's rollback, and is taken over once older than the window.

mod support;

use chrono::{Duration, Utc};
use latch_domain::{decide_activation, CompanyId, DomainError};
use latch_store::{
    ClaimTicket, DeviceInfo, DeviceKey, LicenseIdent, RequestClaim, Store, StoreError,
};
use support::{databases, master_key, open, Database};

#[tokio::test]
async fn an_activation_claims_its_request_in_its_own_transaction() {
    for (url, schema) in databases("request_claims") {
        let database = Database::open(&url, schema.as_deref()).await;
        let store = open(&url, schema.as_deref(), &master_key()).await;
        database.company_and_product().await;
        database
            .execute(
                "INSERT INTO licenses (id, company_id, product_id, license_key, license_type, \
                 max_activations, created_at) VALUES (1, 1, 1, 'K-1', 'perpetual', 10, 0)",
            )
            .await;
        let now = Utc::now();
        let window_start = now - Duration::minutes(30);
        let ticket = |request_hash| ClaimTicket {
            request_hash,
            fresh_after: window_start,
        };
        let activated_devices = || async {
            database
                .rows("SELECT license_id, COUNT(*) FROM devices GROUP BY license_id")
                .await
        };

        activate(&*store, "pc-1", Ok(()), Some(ticket("first")))
            .await
            .unwrap();
        assert_eq!(
            store.claimed_request("first", window_start).await.unwrap(),
            Some(RequestClaim::Running),
            "{url}: the claim is stored with the activation"
        );
        let again = activate(&*store, "pc-2", Ok(()), Some(ticket("first"))).await;
        assert!(
            matches!(again, Err(StoreError::RequestClaimed)),
            "{url}: {again:?}"
        );
        assert_eq!(
            activated_devices().await,
            [(1, 1)],
            "{url}: pc-2 not activated"
        );

        let refused = activate(
            &*store,
            "pc-3",
            Err(DomainError::LicenseNotEnabled),
            Some(ticket("refused")),
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Rejected(_))),
            "{url}: {refused:?}"
        );
        assert_eq!(
            store
                .claimed_request("refused", window_start)
                .await
                .unwrap(),
            None,
            "{url}: a refusal leaves no claim"
        );
        activate(&*store, "pc-3", Ok(()), Some(ticket("refused")))
            .await
            .unwrap();

        // A claim older than the window is no longer a duplicate's.
        let later = ClaimTicket {
            request_hash: "first",
            fresh_after: now + Duration::seconds(1),
        };
        assert_eq!(
            store
                .claimed_request("first", later.fresh_after)
                .await
                .unwrap(),
            None,
            "{url}"
        );
        activate(&*store, "pc-4", Ok(()), Some(later))
            .await
            .unwrap();
        assert_eq!(activated_devices().await, [(1, 3)], "{url}");
    }
}

/// Activates license K-1 on `hardware_id`, as the domain rule decides unless `refusal` says no.
async fn activate(
    store: &dyn Store,
    hardware_id: &str,
    refusal: Result<(), DomainError>,
    claim: Option<ClaimTicket<'_>>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let refusal = &refusal;
    store
        .activate(
            &DeviceKey {
                company_id: CompanyId::new(1),
                product_code: "app",
                ident: LicenseIdent::Key("K-1"),
                license_id: None,
                hardware_id,
            },
            &DeviceInfo::default(),
            &[],
            &|license, device| {
                refusal.clone()?;
                decide_activation(license, device, false, now)
            },
            now,
            claim,
        )
        .await
        .map(drop)
}
