//! Customers over the Management API, shared with the CLI: create, show, change, delete, list with
//! filters and pages, and only ever the key's own company.

use serde_json::{json, Value};

use super::support::{Backend, Latch};
use super::{detail, expect, management_key, Api};

both_backends!(customers_are_created_changed_listed_and_deleted);

async fn customers_are_created_changed_listed_and_deleted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_customers").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);
    let outsider = Api::new(&server, &other_key);

    let created = expect(
        &api.post(
            "customers/",
            &json!({"email": "Harry@Hogwarts.edu", "first_name": "Harry", "last_name": "Potter",
                    "company_name": "Hogwarts", "phone": "+385913111111", "reference": "ref123",
                    "address": "Street 1", "postcode": "10000", "city": "New York",
                    "country": "US", "state": "NY", "metadata": {"crm": "h-1"}}),
        )
        .await,
        200,
    );
    assert_eq!(created["email"], "harry@hogwarts.edu");
    assert_eq!(created["total_orders"], 0);
    assert_eq!(created["total_licenses"], 0);
    assert_eq!(created["labels"], json!([]));
    assert_eq!(created["clabels"], json!([]));
    assert_eq!(created["company"], company.id);
    assert_eq!(created["metadata"], json!({"crm": "h-1"}));
    assert_eq!(created["postcode"], "10000");
    let harry = created["id"].as_i64().unwrap();

    let taken = expect(
        &api.post("customers/", &json!({"email": "harry@hogwarts.edu"}))
            .await,
        400,
    );
    assert!(taken["email"].is_array(), "{taken}");
    let missing = expect(
        &api.post("customers/", &json!({"first_name": "No"})).await,
        400,
    );
    assert_eq!(missing["email"], json!(["This field is required."]));
    let invalid = expect(
        &api.post("customers/", &json!({"email": "not-an-address"}))
            .await,
        400,
    );
    assert!(invalid["email"].is_array(), "{invalid}");

    // The CLI and the API share customers.
    let company_id = company.id.to_string();
    latch.cli(&[
        "customer",
        "create",
        "--company",
        &company_id,
        "--email",
        "ron@hogwarts.edu",
        "--first-name",
        "Ron",
        "--reference",
        "ref456",
    ]);
    expect(
        &api.post(
            "customers/",
            &json!({"email": "hermione@ministry.org", "first_name": "Hermione",
                    "company_name": "Ministry", "reference": "xref789"}),
        )
        .await,
        200,
    );
    let listed = latch.cli(&["customer", "list", "--company", &company_id]);
    assert_eq!(listed["total"], 3, "{listed}");

    let emails = |page: &Value| -> Vec<String> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        (
            "",
            vec![
                "hermione@ministry.org",
                "ron@hogwarts.edu",
                "harry@hogwarts.edu",
            ],
        ),
        ("email=ron@hogwarts.edu", vec!["ron@hogwarts.edu"]),
        (
            "email__icontains=HOGWARTS",
            vec!["ron@hogwarts.edu", "harry@hogwarts.edu"],
        ),
        ("email__startswith=her", vec!["hermione@ministry.org"]),
        ("first_name__icontains=AR", vec!["harry@hogwarts.edu"]),
        ("last_name__icontains=pot", vec!["harry@hogwarts.edu"]),
        (
            "company_name__icontains=minis",
            vec!["hermione@ministry.org"],
        ),
        ("phone__icontains=3111", vec!["harry@hogwarts.edu"]),
        ("reference=ref123", vec!["harry@hogwarts.edu"]),
        ("reference__exact=ref456", vec!["ron@hogwarts.edu"]),
        (
            "reference__startswith=ref",
            vec!["ron@hogwarts.edu", "harry@hogwarts.edu"],
        ),
        ("reference__icontains=REF7", vec!["hermione@ministry.org"]),
        (
            "created_at__gte=2000-01-01&order_by=email",
            vec![
                "harry@hogwarts.edu",
                "hermione@ministry.org",
                "ron@hogwarts.edu",
            ],
        ),
        ("created_at__lte=2000-01-01", vec![]),
    ] {
        let page = expect(&api.get(&format!("customers/?{query}")).await, 200);
        assert_eq!(emails(&page), expected, "{query}");
        assert_eq!(page["count"], expected.len(), "{query}");
    }
    let second = expect(&api.get("customers/?limit=2&offset=2").await, 200);
    assert_eq!(second["count"], 3);
    assert_eq!(emails(&second), ["harry@hogwarts.edu"]);
    assert_eq!(second["next"], Value::Null);
    assert!(
        second["previous"].as_str().unwrap().contains("limit=2"),
        "{second}"
    );

    let changed = expect(
        &api.patch(
            &format!("customers/{harry}/"),
            &json!({"first_name": "Toni", "city": "Split"}),
        )
        .await,
        200,
    );
    assert_eq!(changed["first_name"], "Toni");
    assert_eq!(changed["city"], "Split");
    assert_eq!(changed["last_name"], "Potter");
    let clash = expect(
        &api.patch(
            &format!("customers/{harry}/"),
            &json!({"email": "ron@hogwarts.edu"}),
        )
        .await,
        400,
    );
    assert!(clash["email"].is_array(), "{clash}");
    let shown = expect(&api.get(&format!("customers/{harry}/")).await, 200);
    assert_eq!(shown["first_name"], "Toni");
    assert_eq!(shown["email"], "harry@hogwarts.edu");

    // Another company's key finds nothing.
    detail(&outsider.get(&format!("customers/{harry}/")).await, 404);
    detail(
        &outsider
            .patch(&format!("customers/{harry}/"), &json!({"first_name": "X"}))
            .await,
        404,
    );
    detail(&outsider.delete(&format!("customers/{harry}/")).await, 404);
    assert_eq!(expect(&outsider.get("customers/").await, 200)["count"], 0);

    // A customer holding licenses stays; one without is deleted.
    expect(
        &api.post(
            "orders/create_order/",
            &json!({"id": "o-1", "customer": {"email": "harry@hogwarts.edu"},
                    "items": [{"product_code": "app", "licenses": [{}, {}]}]}),
        )
        .await,
        201,
    );
    let holder = expect(&api.get(&format!("customers/{harry}/")).await, 200);
    assert_eq!(holder["total_orders"], 1);
    assert_eq!(holder["total_licenses"], 2);
    // The order named the customer by e-mail: the same customer, not a new one.
    assert_eq!(holder["first_name"], "Toni");
    let refused = expect(&api.delete(&format!("customers/{harry}/")).await, 400);
    assert!(refused["non_field_errors"].is_array(), "{refused}");

    let ron = expect(&api.get("customers/?email=ron@hogwarts.edu").await, 200)["results"][0]["id"]
        .as_i64()
        .unwrap();
    let deleted = api.delete(&format!("customers/{ron}/")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    detail(&api.get(&format!("customers/{ron}/")).await, 404);
    detail(&api.delete(&format!("customers/{ron}/")).await, 404);

    for (event, count) in [
        ("customer.created", 3),
        ("customer.updated", 1),
        ("customer.deleted", 1),
    ] {
        let events = expect(&api.get(&format!("events/?event={event}")).await, 200);
        assert_eq!(events["count"], count, "{event}: {events}");
    }
}
