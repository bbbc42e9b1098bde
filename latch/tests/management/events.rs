//! The event log: what changed, who changed it, filtered and paged.

use serde_json::json;

use super::support::{Backend, Latch};
use super::{expect, management_key, Api};

both_backends!(the_event_log_names_each_change_and_pages_through_it);

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
