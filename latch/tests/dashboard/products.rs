//! Products in the dashboard: admins create them and change their settings, bundle, features,
//! installation files and custom fields through forms; the Management API and the License API see
//! each change; refused forms come back filled in with an alert; viewers get no forms, and other
//! companies get 404.

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use super::{add_feature, add_staff, csrf_token, location, Browser};
use crate::support::{send, Backend, Company, Latch, Server};

/// The product's id, by its code.
fn product_id(latch: &Latch, company: &Company, code: &str) -> i64 {
    let listed = latch.cli(&["product", "list", "--company", &company.id.to_string()]);
    listed["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|product| product["code"] == code)
        .and_then(|product| product["product_id"].as_i64())
        .unwrap_or_else(|| panic!("no product {code} in {listed}"))
}

/// `GET /api/v1/PATH` with a fresh management key of the company.
pub(super) async fn management(
    latch: &Latch,
    server: &Server,
    company: &Company,
    path: &str,
) -> Value {
    let key = latch.cli(&[
        "management-key",
        "create",
        "--company",
        &company.id.to_string(),
    ])["key"]
        .as_str()
        .expect("a key")
        .to_owned();
    send(
        server
            .http
            .get(server.url(&format!("/api/v1/{path}")))
            .header(AUTHORIZATION, format!("Api-Key {key}")),
    )
    .await
    .ok()
}

/// The `href` of the first link whose target ends with `suffix`.
fn link_ending(html: &str, suffix: &str) -> String {
    html.split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.ends_with(suffix))
        .unwrap_or_else(|| panic!("no link ending with {suffix} in {html}"))
        .to_owned()
}

both_backends!(an_admin_manages_a_products_features_files_custom_fields_and_settings);

async fn an_admin_manages_a_products_features_files_custom_fields_and_settings(backend: Backend) {
    let latch = Latch::new(backend, "dash_products").await;
    let company = latch.company("Acme");
    let admin = add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    let id = product_id(&latch, &company, "app");
    let page = format!("/dashboard/products/{id}");
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    // A refused feature comes back with an alert beside its form and what was typed in.
    let reply = browser
        .submit(
            &page,
            &format!("{page}/features"),
            &[
                ("code", ""),
                ("name", "Kept name"),
                ("feature_type", "consumption"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("role=\"alert\"") && text.contains("code: must have 1 to 128 characters"),
        "{text}"
    );
    assert!(text.contains("value=\"Kept name\""), "{text}");
    assert!(
        text.contains("<option value=\"consumption\" selected>"),
        "{text}"
    );

    let reply = browser
        .submit(
            &page,
            &format!("{page}/features"),
            &[
                ("code", "export"),
                ("name", "Export"),
                ("feature_type", "consumption"),
                ("max_consumption", "10"),
                ("consumption_period", "monthly"),
            ],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=feature-added"));
    let shown = browser
        .get(&format!("{page}?notice=feature-added"))
        .await
        .text();
    assert!(shown.contains("Feature added to the product."), "{shown}");
    let features = management(
        &latch,
        &server,
        &company,
        &format!("product-features/?product={id}"),
    )
    .await;
    let feature = &features["results"][0];
    assert_eq!(feature["code"], "export", "{features}");
    assert_eq!(feature["max_consumption"], 10, "{features}");
    assert_eq!(feature["consumption_period"], "monthly", "{features}");

    // Editing shows the stored values and saves the changed ones.
    let edit = link_ending(&shown, &format!("/features/{}", feature["id"]));
    let form = browser.get(&edit).await;
    assert_eq!(form.status, 200, "{}", form.text());
    assert!(form.text().contains("value=\"Export\""), "{}", form.text());
    let reply = browser
        .submit(
            &edit,
            &edit,
            &[
                ("code", "export"),
                ("name", "Export to PDF"),
                ("feature_type", "consumption"),
                ("max_consumption", "-1"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply
            .text()
            .contains("max consumption: must not be negative")
            && reply.text().contains("value=\"Export to PDF\""),
        "{}",
        reply.text()
    );
    let reply = browser
        .submit(
            &edit,
            &edit,
            &[
                ("code", "export"),
                ("name", "Export to PDF"),
                ("feature_type", "consumption"),
                ("max_consumption", "25"),
                ("is_floating_cloud", "true"),
                ("floating_users", "3"),
            ],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=feature-saved"));
    let saved = management(
        &latch,
        &server,
        &company,
        &format!("product-features/{}/", feature["id"]),
    )
    .await;
    assert_eq!(saved["name"], "Export to PDF", "{saved}");
    assert_eq!(saved["max_consumption"], 25, "{saved}");
    assert_eq!(saved["is_floating_cloud"], true, "{saved}");
    assert_eq!(saved["floating_users"], 3, "{saved}");
    assert_eq!(saved["consumption_period"], Value::Null, "{saved}");

    // The same event as the Management API's, naming the member.
    let events = latch.cli(&[
        "events",
        "--company",
        &company.id.to_string(),
        "--event",
        "product_feature.created,product_feature.updated",
    ]);
    let logged = events["events"].as_array().expect("events");
    assert_eq!(logged.len(), 2, "{events}");
    for event in logged {
        assert_eq!(event["actor"]["type"], "staff", "{events}");
        assert_eq!(event["actor"]["id"], admin["id"].to_string(), "{events}");
    }

    // A feature a license holds cannot be deleted: the alert says what to do.
    let key = latch.license(&company, "app", &[]);
    latch.cli(&[
        "license",
        "add-feature",
        "--license",
        &key,
        "--feature",
        "export",
        "--company",
        &company.id.to_string(),
    ]);
    let reply = browser.submit(&page, &format!("{edit}/delete"), &[]).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply
            .text()
            .contains("Licenses hold this feature; remove it from them first."),
        "{}",
        reply.text()
    );

    // Installation files: a bad hash is refused, a good file reaches the License API.
    let release = [
        ("version", "2.1.0"),
        ("environment", "win64"),
        ("channel", "stable"),
        ("full_link", "https://example.com/app-2.1.0.exe"),
        ("hash_md5", "not-a-hash"),
        ("release_date", "2024-05-01"),
    ];
    let reply = browser
        .submit(&page, &format!("{page}/releases"), &release)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("hash md5: must be an MD5 hash")
            && reply
                .text()
                .contains("value=\"https://example.com/app-2.1.0.exe\""),
        "{}",
        reply.text()
    );
    let mut release = release.to_vec();
    release[4] = ("hash_md5", "d41d8cd98f00b204e9800998ecf8427e");
    let reply = browser
        .submit(&page, &format!("{page}/releases"), &release)
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=release-added"));
    let files = management(&latch, &server, &company, "installation-files/").await;
    let file = &files["results"][0];
    assert_eq!(file["version"], "2.1.0", "{files}");
    assert_eq!(file["environment"], "win64", "{files}");
    assert_eq!(file["release_date"], "2024-05-01", "{files}");
    assert_eq!(file["enabled"], true, "{files}");
    // Saved without its Enabled box ticked, the file is no longer offered to apps.
    let shown = browser.get(&page).await.text();
    let edit_file = link_ending(&shown, &format!("/releases/{}", file["id"]));
    assert!(browser.get(&edit_file).await.text().contains("checked"));
    let reply = browser.submit(&edit_file, &edit_file, &release).await;
    assert_eq!(location(&reply), format!("{page}?notice=release-saved"));
    let files = management(&latch, &server, &company, "installation-files/").await;
    assert_eq!(files["results"][0]["enabled"], false, "{files}");

    // Custom fields: defined with a default, which licenses then show.
    let reply = browser
        .submit(
            &page,
            &format!("{page}/custom-fields"),
            &[
                ("name", "tier"),
                ("data_type", "text"),
                ("default_value", "gold"),
            ],
        )
        .await;
    assert_eq!(
        location(&reply),
        format!("{page}?notice=custom-field-added")
    );
    let fields = management(
        &latch,
        &server,
        &company,
        &format!("product-custom-fields/?product={id}"),
    )
    .await;
    assert_eq!(fields["results"][0]["default_value"], "gold", "{fields}");
    let shown = browser.get(&page).await.text();
    let field = link_ending(
        &shown,
        &format!("/custom-fields/{}", fields["results"][0]["id"]),
    );
    let reply = browser.submit(&page, &format!("{field}/delete"), &[]).await;
    assert_eq!(
        location(&reply),
        format!("{page}?notice=custom-field-deleted")
    );
    let fields = management(
        &latch,
        &server,
        &company,
        &format!("product-custom-fields/?product={id}"),
    )
    .await;
    assert_eq!(fields["count"], 0, "{fields}");

    // Settings: trials on, and the License API hands out trial licenses at once.
    let settings = [
        ("name", "App Pro"),
        ("authorization_method", "license-key"),
        ("allow_trial", "true"),
        ("trial_days", "14"),
        ("floating_timeout", "45"),
        ("metadata", "{\"tier\": \"pro\"}"),
    ];
    let mut broken = settings.to_vec();
    broken[5] = ("metadata", "{not json");
    let reply = browser
        .submit(&page, &format!("{page}/settings"), &broken)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("metadata: is not JSON")
            && reply.text().contains("value=\"App Pro\""),
        "{}",
        reply.text()
    );
    let reply = browser
        .submit(&page, &format!("{page}/settings"), &settings)
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=product-saved"));
    let product = management(&latch, &server, &company, &format!("products/{id}/")).await;
    assert_eq!(product["product_name"], "App Pro", "{product}");
    assert_eq!(product["trial_days"], 14, "{product}");
    assert_eq!(product["floating_timeout"], 45, "{product}");
    assert_eq!(product["metadata"], json!({"tier": "pro"}), "{product}");
    let trial = server
        .get(
            &company.creds,
            "trial_key",
            &[("product", "app"), ("hardware_id", "trial-pc")],
        )
        .await
        .ok();
    assert!(trial["license_key"].is_string(), "{trial}");
}

both_backends!(an_admin_creates_a_bundle_and_changes_what_it_includes);

async fn an_admin_creates_a_bundle_and_changes_what_it_includes(backend: Backend) {
    let latch = Latch::new(backend, "dash_bundles").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    latch.product(&company, "tool");
    let (app, tool) = (
        product_id(&latch, &company, "app").to_string(),
        product_id(&latch, &company, "tool").to_string(),
    );
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    // A taken short code is refused on the form, which keeps what was typed.
    let reply = browser
        .submit(
            "/dashboard/products/new",
            "/dashboard/products",
            &[
                ("name", "Second app"),
                ("code", "app"),
                ("authorization_method", "license-key"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("role=\"alert\"") && reply.text().contains("value=\"Second app\""),
        "{}",
        reply.text()
    );

    let reply = browser
        .submit(
            "/dashboard/products/new",
            "/dashboard/products",
            &[
                ("name", "Suite"),
                ("code", "suite"),
                ("authorization_method", "license-key"),
                ("includes", &app),
                ("includes", &tool),
            ],
        )
        .await;
    let page = location(&reply)
        .strip_suffix("?notice=product-created")
        .expect("the new product's page")
        .to_owned();
    let shown = browser.get(&page).await.text();
    assert!(
        shown.contains("Each license of this bundle comes with a license of:"),
        "{shown}"
    );
    let key = latch.license(&company, "suite", &[]);
    let included = latch.cli(&[
        "license",
        "list",
        "--company",
        &company.id.to_string(),
        "--key-prefix",
        &key,
    ]);
    assert_eq!(
        included["total"], 3,
        "the bundle's and one per product: {included}"
    );

    let reply = browser
        .submit(&page, &format!("{page}/bundle"), &[("includes", &app)])
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=bundle-saved"));
    let bundle_id = page.rsplit('/').next().expect("an id");
    let products = browser
        .get(&format!("/dashboard/products/{app}"))
        .await
        .text();
    assert!(products.contains("Included in: "), "{products}");
    // What is in a bundle is offered no bundle form of its own.
    assert!(
        products.contains("A product included in a bundle cannot be a bundle itself.")
            && !products.contains(&format!("/dashboard/products/{app}/bundle\"")),
        "{products}"
    );
    let items = browser
        .get(&format!("/dashboard/products/{tool}"))
        .await
        .text();
    assert!(!items.contains("Included in: "), "{items}");
    let reply = browser
        .submit(
            &page,
            &format!("/dashboard/products/{bundle_id}/bundle"),
            &[],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=bundle-saved"));
    assert!(browser.get(&page).await.text().contains("Not a bundle."));
}

both_backends!(viewers_get_no_product_forms_and_others_get_404);

async fn viewers_get_no_product_forms_and_others_get_404(backend: Backend) {
    let latch = Latch::new(backend, "dash_product_roles").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &acme, "viewer@example.com", "viewer");
    add_staff(&latch, &acme, "admin@example.com", "admin");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    latch.product(&acme, "app");
    latch.product(&globex, "gadget");
    add_feature(&latch, &acme, "app", "export");
    let id = product_id(&latch, &acme, "app");
    let gadget = product_id(&latch, &globex, "gadget");
    let page = format!("/dashboard/products/{id}");
    let server = latch.serve();
    let feature = management(&latch, &server, &acme, "product-features/").await["results"][0]["id"]
        .as_i64()
        .expect("a feature");

    // A viewer reads the product, its features and files, but sees no form.
    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let shown = viewer.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    let text = shown.text();
    assert!(text.contains("<code>export</code>"), "{text}");
    for form in [
        "/features\"",
        "/settings\"",
        "/bundle\"",
        "/delete\"",
        "Add feature",
    ] {
        assert!(!text.contains(form), "a viewer sees {form}: {text}");
    }
    assert!(!viewer
        .get("/dashboard/products")
        .await
        .text()
        .contains("New product"));
    // A forged POST, with the session's own token, is refused and changes nothing.
    let token = csrf_token(&text);
    for path in [
        format!("{page}/features"),
        format!("{page}/settings"),
        format!("{page}/features/{feature}"),
        format!("{page}/features/{feature}/delete"),
    ] {
        let reply = viewer
            .post(
                &path,
                &[("csrf_token", &token), ("code", "x"), ("name", "X")],
            )
            .await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.text());
    }
    assert_eq!(viewer.get("/dashboard/products/new").await.status, 403);
    assert_eq!(
        viewer
            .get(&format!("{page}/features/{feature}"))
            .await
            .status,
        403
    );

    // An admin's POST without the session's token is refused before anything runs.
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let reply = admin
        .post(&format!("{page}/features/{feature}/delete"), &[])
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let features = management(&latch, &server, &acme, "product-features/").await;
    assert_eq!(features["count"], 1, "{features}");
    // An item is found only under its own product.
    let reply = admin
        .get(&format!("/dashboard/products/{gadget}/features/{feature}"))
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());

    // Another company's admin finds nothing, on pages and on actions.
    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;
    for path in [
        page.clone(),
        format!("{page}/features/{feature}"),
        format!("{page}/nonsense/1"),
    ] {
        let reply = intruder.get(&path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
    }
    for path in [
        format!("{page}/features"),
        format!("{page}/settings"),
        format!("{page}/features/{feature}"),
        format!("{page}/features/{feature}/delete"),
    ] {
        let reply = intruder
            .submit(
                "/dashboard/products",
                &path,
                &[("code", "stolen"), ("name", "Stolen")],
            )
            .await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
    }
    let features = management(&latch, &server, &acme, "product-features/").await;
    assert_eq!(features["results"][0]["name"], "export", "{features}");
}
