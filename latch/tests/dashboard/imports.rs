//! Licenses as CSV in the dashboard: an import commits its valid rows, refuses the others with their
//! row, column and reason, and follows its progress; an export streams the searched licenses in
//! columns an import reads back. Admins only; other companies get 404.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use reqwest::multipart;
use serde_json::{json, Value};

use super::{add_feature, add_staff, csrf_token, location, Browser};
use crate::support::{send, Backend, Latch, Reply};

impl Browser<'_> {
    /// POSTs `csv` as the import form's file, with the given CSRF token.
    async fn upload(&mut self, token: Option<&str>, file_name: &str, csv: &str) -> Reply {
        let mut form = multipart::Form::new();
        if let Some(token) = token {
            form = form.text("csrf_token", token.to_owned());
        }
        let file = multipart::Part::text(csv.to_owned())
            .file_name(file_name.to_owned())
            .mime_str("text/csv")
            .expect("a MIME type");
        let reply = send(
            self.http
                .post(self.server.url("/dashboard/imports"))
                .header(COOKIE, self.cookie_header())
                .multipart(form.part("file", file)),
        )
        .await;
        self.keep_cookies(&reply);
        reply
    }

    /// Uploads `csv` from the import page, as its form does.
    async fn import(&mut self, csv: &str) -> Reply {
        let page = self.get("/dashboard/imports").await;
        assert_eq!(page.status, 200, "{}", page.text());
        let token = csrf_token(&page.text());
        self.upload(Some(&token), "licenses.csv", csv).await
    }

    /// Polls an import's progress until it has finished.
    async fn finished(&mut self, import: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let progress = self.get(&format!("{import}/progress")).await;
            assert_eq!(progress.status, 200, "{}", progress.text());
            let progress = progress.json();
            assert_eq!(progress["stalled"], false, "{progress}");
            if progress["finished"] == true {
                return progress;
            }
            assert!(
                Instant::now() < deadline,
                "the import did not finish: {progress}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

both_backends!(an_import_commits_the_valid_rows_and_reports_the_refused_ones);

async fn an_import_commits_the_valid_rows_and_reports_the_refused_ones(backend: Backend) {
    let latch = Latch::new(backend, "dash_import").await;
    let company = latch.company("Acme");
    let admin = add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    let id = company.id.to_string();
    add_feature(&latch, &company, "app", "export");
    latch.cli(&[
        "product",
        "create",
        "--company",
        &id,
        "--code",
        "team",
        "--name",
        "Team",
        "--user-based",
    ]);
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    let csv =
        "Product,License Key,license_type,valid_until,max_activations,customer_email,features,\
               users\n\
               app,IMP-0001,perpetual,,2,Buyer@Example.com,export,\n\
               app,,time-limited,2030-12-31,1,,,\n\
               nope,IMP-0003,,,,,,\n\
               app,IMP-0004,,,two,,,\n\
               app,IMP-0001,,,,,,\n\
               app,IMP-0006,perpetual,2030-12-31,,,,\n\
               app,IMP-0007,,,,,render,\n\
               team,,,,3,,,ann@example.com; bob@example.com\n\
               team,,,,,,,\n";
    let reply = browser.import(csv).await;
    let import = location(&reply);
    assert!(import.starts_with("/dashboard/imports/"), "{import}");
    let progress = browser.finished(&import).await;
    assert_eq!(
        progress,
        json!({"finished": true, "stalled": false, "total": 9, "processed": 9, "imported": 3,
               "failed": 6, "percent": 100})
    );

    let report = browser.get(&format!("{import}/errors.csv")).await;
    assert_eq!(report.status, 200, "{}", report.text());
    assert_eq!(report.headers[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(report.headers[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("errors.csv"));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(report.body.as_slice())
        .records()
        .map(|row| row.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect();
    let located: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row[0].as_str(), row[1].as_str()))
        .collect();
    assert_eq!(
        located,
        [
            ("4", "product"),
            ("5", "max_activations"),
            ("6", "license_key"),
            ("7", "valid_until"),
            ("8", "features"),
            ("10", "users"),
        ],
        "{}",
        report.text()
    );
    assert!(
        rows[0][2].contains("No product with code \"nope\""),
        "{rows:?}"
    );
    assert!(
        rows[1][2].contains("\"two\" is not a whole number"),
        "{rows:?}"
    );
    assert!(rows[2][2].contains("already exists"), "{rows:?}");
    assert!(rows[4][2].contains("no feature \"render\""), "{rows:?}");
    assert!(rows[5][2].contains("needs at least one user"), "{rows:?}");

    let page = browser.get(&import).await;
    let text = page.text();
    assert!(
        text.contains("Import finished: 3 licenses imported, 6 rows refused.")
            && text.contains("Valid rows were imported even where others were refused."),
        "{text}"
    );
    assert!(
        text.contains("value=\"9\"") && text.contains("100%"),
        "{text}"
    );
    assert!(text.contains("No product with code"), "{text}");

    // The imported licenses work through the License API at once, as issued.
    let shown = latch.show_license(&company, "IMP-0001");
    assert_eq!(shown["max_activations"], 2, "{shown}");
    assert_eq!(shown["features"][0]["code"], "export", "{shown}");
    let bought = latch.cli(&[
        "license",
        "list",
        "--company",
        &id,
        "--customer",
        "buyer@example.com",
    ]);
    assert_eq!(bought["total"], 1, "the customer was created: {bought}");
    let activated = server
        .post(
            &company.creds,
            "activate_license",
            &json!({"product": "app", "license_key": "IMP-0001", "hardware_id": "pc-1"}),
        )
        .await
        .ok();
    assert_eq!(activated["license_key"], "IMP-0001", "{activated}");
    let listed = latch.cli(&["license", "list", "--company", &id]);
    assert_eq!(listed["total"], 3, "{listed}");
    // The user-based row placed both its users on its license.
    for user in ["ann%40example.com", "bob%40example.com"] {
        let held = browser
            .get(&format!("/dashboard/licenses?user={user}"))
            .await;
        assert!(held.text().contains("user-based #"), "{}", held.text());
    }

    // The event log has the import's start and end, and each license, naming the member.
    let events = latch.cli(&[
        "events",
        "--company",
        &id,
        "--event",
        "license_import.started,license_import.finished,license.created",
    ]);
    let logged = events["events"].as_array().expect("events");
    let names: Vec<&str> = logged.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(
        names,
        [
            "license_import.finished",
            "license.created",
            "license.created",
            "license.created",
            "license_import.started"
        ],
        "{events}"
    );
    for event in logged {
        assert_eq!(event["actor"]["type"], "staff", "{events}");
        assert_eq!(event["actor"]["id"], admin["id"].to_string(), "{events}");
    }
    assert_eq!(logged[0]["data"]["imported"], 3, "{events}");
    assert_eq!(logged[0]["data"]["failed"], 6, "{events}");

    // A file whose header is wrong is refused as a whole, on the form.
    for (csv, says) in [
        ("license_key\nK-1\n", "no product column"),
        ("product,colour\napp,red\n", "Unknown columns: colour"),
        ("product\n", "no rows below its header"),
    ] {
        let reply = browser.import(csv).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(
            reply.text().contains("role=\"alert\"") && reply.text().contains(says),
            "{says}: {}",
            reply.text()
        );
    }
    let imports = browser.get("/dashboard/imports").await.text();
    assert!(
        imports.contains("licenses.csv") && imports.contains("finished"),
        "{imports}"
    );
}

both_backends!(imports_are_for_admins_of_the_company_with_the_form_token);

async fn imports_are_for_admins_of_the_company_with_the_form_token(backend: Backend) {
    let latch = Latch::new(backend, "dash_import_roles").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &acme, "admin@example.com", "admin");
    add_staff(&latch, &acme, "support@example.com", "support");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    latch.product(&acme, "app");
    let server = latch.serve();
    let csv = "product,license_key\napp,ROLE-0001\n";

    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let reply = admin.upload(None, "a.csv", csv).await;
    assert_eq!(reply.status, 403, "no token: {}", reply.text());
    let reply = admin.upload(Some("forged"), "a.csv", csv).await;
    assert_eq!(reply.status, 403, "a wrong token: {}", reply.text());
    let reply = admin.post("/dashboard/imports", &[]).await;
    assert_eq!(reply.status, 403, "no upload at all: {}", reply.text());
    let listed = latch.cli(&["license", "list", "--company", &acme.id.to_string()]);
    assert_eq!(listed["total"], 0, "{listed}");

    // A file over the limit is refused, and says so. The server answers before reading it all and
    // closes the connection: a browser of its own, so no other request reuses that connection.
    let mut uploader = Browser::signed_in(&server, "admin@example.com").await;
    let page = uploader.get("/dashboard/imports").await;
    let token = csrf_token(&page.text());
    let huge = format!("product,note\n{}", "app,x\n".repeat(3_000_000));
    let reply = uploader.upload(Some(&token), "huge.csv", &huge).await;
    assert_eq!(reply.status, 400, "{}", &reply.text()[..200]);
    assert!(reply.text().contains("too large"), "{}", reply.text());

    let reply = admin.import(csv).await;
    let import = location(&reply);
    admin.finished(&import).await;

    // Support may not import, nor see imports; a forged upload with its own token is refused.
    let mut support = Browser::signed_in(&server, "support@example.com").await;
    assert_eq!(support.get("/dashboard/imports").await.status, 403);
    assert_eq!(support.get(&import).await.status, 403);
    let token = csrf_token(&support.get("/dashboard/licenses").await.text());
    let reply = support.upload(Some(&token), "a.csv", csv).await;
    assert_eq!(reply.status, 403, "{}", reply.text());

    // Another company's admin finds none of it.
    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;
    for path in [
        import.clone(),
        format!("{import}/progress"),
        format!("{import}/errors.csv"),
    ] {
        let reply = intruder.get(&path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
    }
    assert!(!intruder
        .get("/dashboard/imports")
        .await
        .text()
        .contains(&import));
}

/// The license keys (second column) of an export.
fn exported_keys(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut reader = csv::Reader::from_reader(reply.body.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["license_id", "product", "license_key"]);
    reader
        .records()
        .map(|row| row.expect("a row")[2].to_owned())
        .collect()
}

both_backends!(an_export_streams_the_searched_licenses_and_imports_back);

async fn an_export_streams_the_searched_licenses_and_imports_back(backend: Backend) {
    let latch = Latch::new(backend, "dash_export").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &acme, "admin@example.com", "admin");
    add_staff(&latch, &acme, "viewer@example.com", "viewer");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    latch.product(&acme, "app");
    latch.product(&globex, "app");
    let server = latch.serve();
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;

    // More licenses than an export reads at once, imported in one file: its progress is written
    // several times on the way.
    let mut csv = String::from("product,license_key,max_activations,customer_email,note\n");
    for n in 0..1050 {
        csv.push_str(&format!(
            "app,BULK-{n:04},3,bulk{}@example.com,\"=note, {n}\"\n",
            n % 7
        ));
    }
    csv.push_str("app,SOLO-0001,1,,\n");
    let reply = admin.import(&csv).await;
    let progress = admin.finished(&location(&reply)).await;
    assert_eq!(progress["imported"], 1051, "{progress}");

    let all = admin.get("/dashboard/licenses/export.csv").await;
    let keys = exported_keys(&all);
    assert_eq!(keys.len(), 1051);
    assert_eq!(keys[0], "BULK-0000");
    assert_eq!(keys[1049], "BULK-1049");
    assert_eq!(keys[1050], "SOLO-0001");
    // A cell a spreadsheet would run as a formula is written as text.
    assert!(
        all.text().contains("\"'=note, 0\""),
        "{}",
        &all.text()[..500]
    );

    let listed = admin.get("/dashboard/licenses?q=SOLO").await.text();
    assert!(
        listed.contains("/dashboard/licenses/export.csv?q=SOLO"),
        "the list links its export: {listed}"
    );
    let found = admin.get("/dashboard/licenses/export.csv?q=SOLO").await;
    assert_eq!(exported_keys(&found), ["SOLO-0001"]);
    let found = admin
        .get("/dashboard/licenses/export.csv?q=bulk3%40example.com")
        .await;
    assert_eq!(exported_keys(&found).len(), 150);

    // Viewers read licenses page by page but do not export them.
    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    assert_eq!(
        viewer.get("/dashboard/licenses/export.csv").await.status,
        403
    );

    // Another company imports the export as it is, and gets the same licenses.
    let mut other = Browser::signed_in(&server, "admin@globex.example").await;
    assert_eq!(
        exported_keys(&other.get("/dashboard/licenses/export.csv").await).len(),
        0
    );
    let reply = other.import(&found.text()).await;
    let progress = other.finished(&location(&reply)).await;
    assert_eq!(progress["imported"], 150, "{progress}");
    let copied = latch.cli(&[
        "license",
        "show",
        "BULK-0003",
        "--company",
        &globex.id.to_string(),
    ]);
    assert_eq!(copied["max_activations"], 3, "{copied}");
    let bought = latch.cli(&[
        "license",
        "list",
        "--company",
        &globex.id.to_string(),
        "--customer",
        "bulk3@example.com",
    ]);
    assert_eq!(bought["total"], 150, "{bought}");
    let note = other
        .get(&format!("/dashboard/licenses/{}", copied["license_id"]))
        .await
        .text();
    assert!(
        note.contains("=note, 3"),
        "the note comes back as written: {note}"
    );
}
