//! The event log: what changed, who changed it, filtered and paged.

use serde_json::json;

use super::support::{Backend, Latch};
use super::{expect, management_key, Api};

both_backends!(
    the_event_log_names_each_change_and_pages_through_it,
    license_api_changes_are_events_of_the_device_and_checks_are_counted,
    license_api_refusals_are_counted_per_company_code_and_hour,
);

async fn the_event_log_names_each_change_and_pages_through_it(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_events").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    let key = management_key(&latch, &company, false);
    management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);
    for _ in 0..4 {
        expect(&api.post("management-keys/", &json!({})).await, 201);
    }

    // One key from the CLI, four over HTTP; the other company's key is not in this log.
    let all = expect(&api.get("events/?event=management_key.created").await, 200);
    assert_eq!(all["count"], 5, "{all}");
    let actors: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["actor"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [
            "management_key",
            "management_key",
            "management_key",
            "management_key",
            "cli"
        ]
    );

    let first = expect(&api.get("events/?limit=2").await, 200);
    assert_eq!(first["results"].as_array().unwrap().len(), 2);
    assert_eq!(first["previous"], serde_json::Value::Null);
    let next = first["next"].as_str().unwrap();
    assert!(next.starts_with("http://"), "{next}");
    let path = next.split("/api/v1/").nth(1).unwrap();
    let second = expect(&api.get(path).await, 200);
    assert_ne!(second["results"][0]["id"], first["results"][0]["id"]);
    assert!(second["previous"].as_str().unwrap().contains("limit=2"));

    let oldest_first = expect(&api.get("events/?order_by=ts&limit=1").await, 200);
    assert_eq!(oldest_first["results"][0]["actor"]["type"], "cli");
    let none = expect(
        &api.get("events/?event__in=license.created,license.reset")
            .await,
        200,
    );
    assert_eq!(none["count"], 0);
    let bad = expect(&api.get("events/?ts__gte=yesterday").await, 400);
    assert!(bad["ts__gte"].is_array(), "{bad}");

    // The CLI shows the same log.
    let cli = latch.cli(&[
        "events",
        "--company",
        &company.id.to_string(),
        "--event",
        "management_key.created",
    ]);
    assert_eq!(cli["total"], 5, "{cli}");
}

async fn license_api_changes_are_events_of_the_device_and_checks_are_counted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_device_events").await;
    let company = latch.company("Acme");
    let key = management_key(&latch, &company, false);
    latch.product(&company, "APP");
    let license_key = latch.license(&company, "APP", &["--max-activations", "2"]);
    let server = latch.serve();
    let api = Api::new(&server, &key);
    let device = json!({"product": "APP", "license_key": license_key, "hardware_id": "hw-1"});
    server
        .post(&company.creds, "activate_license", &device)
        .await
        .ok();
    for _ in 0..3 {
        server
            .get(
                &company.creds,
                "check_license",
                &[
                    ("product", "APP"),
                    ("license_key", &license_key),
                    ("hardware_id", "hw-1"),
                ],
            )
            .await
            .ok();
    }
    server
        .post(&company.creds, "deactivate_license", &device)
        .await;

    let events = expect(&api.get("events/?order_by=ts").await, 200);
    let names: Vec<(&str, &str)> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["event"].as_str().unwrap(),
                event["actor"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("api_key.created", "cli"),
            ("management_key.created", "cli"),
            ("product.created", "cli"),
            ("license.created", "cli"),
            ("license.activated", "device"),
            ("license.deactivated", "device"),
        ]
    );
    let activated = &events["results"][4];
    let license_id = activated["license"].as_i64().unwrap();
    assert_eq!(activated["data"]["hardware_id"], "hw-1");
    assert_eq!(activated["actor"]["id"], activated["device"]);
    let about_license = expect(
        &api.get(&format!("events/?license={license_id}")).await,
        200,
    );
    assert_eq!(about_license["count"], 3);

    // Checks are counted, not logged: the write-behind batch adds them within about a second.
    let mut counted = serde_json::Value::Null;
    for _ in 0..50 {
        counted = expect(
            &api.get(&format!("events/checks/?license={license_id}"))
                .await,
            200,
        );
        if counted["results"][0]["checks"] == 3 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("three checks were not counted: {counted}");
}

async fn license_api_refusals_are_counted_per_company_code_and_hour(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_refusal_counts").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    let key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    latch.product(&company, "APP");
    let server = latch.serve();
    let api = Api::new(&server, &key);
    let unknown = json!({"product": "APP", "license_key": "NO-SUCH-KEY", "hardware_id": "hw-1"});
    for _ in 0..2 {
        let reply = server
            .post(&company.creds, "activate_license", &unknown)
            .await;
        assert_eq!(reply.error_code(), "license_not_found");
    }
    let reply = server
        .post(
            &company.creds,
            "activate_license",
            &json!({"product": "NOPE", "license_key": "NO-SUCH-KEY", "hardware_id": "hw-1"}),
        )
        .await;
    assert_eq!(reply.error_code(), "unknown_product");

    // Refusals are counted, not logged: the write-behind batch adds them within about a second.
    let mut counted = serde_json::Value::Null;
    for _ in 0..100 {
        counted = expect(&api.get("events/refusals/?order_by=code").await, 200);
        let total = |code: &str| -> i64 {
            counted["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|count| count["code"] == code)
                .map(|count| count["refusals"].as_i64().unwrap())
                .sum()
        };
        if total("license_not_found") == 2 && total("unknown_product") == 1 {
            let filtered = expect(&api.get("events/refusals/?code=unknown_product").await, 200);
            assert_eq!(
                filtered["results"][0]["code"], "unknown_product",
                "{filtered}"
            );
            assert!(filtered["results"][0]["hour"].is_string(), "{filtered}");
            let outsider = Api::new(&server, &other_key);
            let none = expect(&outsider.get("events/refusals/").await, 200);
            assert_eq!(none["count"], 0, "another company's refusals: {none}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the refusals were not counted: {counted}");
}
