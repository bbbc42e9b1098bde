//! Staff management: admins change members' roles and remove members, in the dashboard and with
//! `latch staff set-role` / `latch staff remove`; a new role holds from the member's next request, a
//! removed member's sessions end at once, and the company's last admin stays an admin.

use super::{add_staff, location, Browser, PASSWORD};
use crate::support::{Backend, Latch};

const STAFF: &str = "/dashboard/staff";

/// The staff id `add_staff` printed.
fn id_of(added: &serde_json::Value) -> i64 {
    added["id"].as_i64().expect("a staff id")
}

both_backends!(an_admin_changes_roles_and_removes_members_but_keeps_an_admin);

async fn an_admin_changes_roles_and_removes_members_but_keeps_an_admin(backend: Backend) {
    let latch = Latch::new(backend, "dash_staff_roles").await;
    let company = latch.company("Acme");
    let admin = id_of(&add_staff(&latch, &company, "admin@example.com", "admin"));
    let member = id_of(&add_staff(
        &latch,
        &company,
        "member@example.com",
        "support",
    ));
    let server = latch.serve();
    let mut admins = Browser::signed_in(&server, "admin@example.com").await;
    let mut members = Browser::signed_in(&server, "member@example.com").await;
    assert_eq!(members.get(STAFF).await.status, 403);

    // Promoted, the member manages staff on their very next request, in the session they had.
    let reply = admins
        .submit(
            STAFF,
            &format!("{STAFF}/{member}/role"),
            &[("member", &member.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(location(&reply), format!("{STAFF}?notice=role-changed"));
    let shown = members.get(STAFF).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(
        shown.text().contains("member@example.com · admin"),
        "{}",
        shown.text()
    );

    // Lowered to viewer, the same session may no longer act.
    let reply = admins
        .submit(
            STAFF,
            &format!("{STAFF}/{member}/role"),
            &[("member", &member.to_string()), ("role", "viewer")],
        )
        .await;
    assert_eq!(location(&reply), format!("{STAFF}?notice=role-changed"));
    assert_eq!(members.get(STAFF).await.status, 403);
    let reply = members
        .submit(
            "/dashboard/",
            &format!("{STAFF}/{admin}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());

    // The last admin can neither be lowered nor removed; the form comes back with the choice kept.
    let reply = admins
        .submit(
            STAFF,
            &format!("{STAFF}/{admin}/role"),
            &[("member", &admin.to_string()), ("role", "support")],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("role=\"alert\"") && text.contains("the company's last admin"),
        "{text}"
    );
    assert!(
        text.contains(&format!("id=\"role-{admin}\""))
            && text.contains("<option value=\"support\" selected>"),
        "{text}"
    );
    let reply = admins
        .submit(STAFF, &format!("{STAFF}/{admin}/remove"), &[])
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("the company's last admin"),
        "{}",
        reply.text()
    );
    let listed = latch.cli(&["staff", "list", "--company", &company.id.to_string()]);
    assert_eq!(listed["staff"][0]["role"], "admin", "{listed}");

    // Removed, the member's session ends at once and they cannot sign in again.
    let reply = admins
        .submit(STAFF, &format!("{STAFF}/{member}/remove"), &[])
        .await;
    assert_eq!(location(&reply), format!("{STAFF}?notice=staff-removed"));
    assert_eq!(
        location(&members.get("/dashboard/").await),
        "/dashboard/login"
    );
    let reply = Browser::new(&server)
        .sign_in("member@example.com", PASSWORD)
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text());
    let shown = admins.get(STAFF).await.text();
    assert!(!shown.contains("member@example.com"), "{shown}");

    // Both changes are in the event log as the admin's.
    for event in ["staff.role_changed", "staff.deleted"] {
        let logged = admins
            .get(&format!("/dashboard/events?event={event}"))
            .await
            .text();
        assert!(
            logged.contains(&format!("<code>{event}</code>"))
                && logged.contains(&format!("staff #{admin}")),
            "{logged}"
        );
    }

    // Another company's admin finds no such member.
    let globex = latch.company("Globex");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;
    for (action, form) in [("role", vec![("role", "viewer")]), ("remove", vec![])] {
        let reply = intruder
            .submit(STAFF, &format!("{STAFF}/{admin}/{action}"), &form)
            .await;
        assert_eq!(reply.status, 404, "{action}: {}", reply.text());
    }
    assert_eq!(admins.get(STAFF).await.status, 200);
}

both_backends!(the_cli_sets_roles_and_removes_members_but_keeps_an_admin);

async fn the_cli_sets_roles_and_removes_members_but_keeps_an_admin(backend: Backend) {
    let latch = Latch::new(backend, "cli_staff_roles").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    add_staff(&latch, &company, "admin@example.com", "admin");
    add_staff(&latch, &company, "member@example.com", "viewer");
    let server = latch.serve();
    let mut member = Browser::signed_in(&server, "member@example.com").await;

    let changed = latch.cli(&[
        "staff",
        "set-role",
        "--company",
        &id,
        "--email",
        "Member@Example.com",
        "--role",
        "support",
    ]);
    assert_eq!(changed["email"], "member@example.com", "{changed}");
    assert_eq!(changed["role"], "support", "{changed}");
    let shown = member.get("/dashboard/account").await.text();
    assert!(shown.contains("member@example.com · support"), "{shown}");

    let refused = latch.cli_error(&[
        "staff",
        "set-role",
        "--company",
        &id,
        "--email",
        "admin@example.com",
        "--role",
        "viewer",
    ]);
    assert_eq!(
        refused,
        "error: --role: this member is the company's last admin; make another member admin first"
    );
    let refused = latch.cli_error(&[
        "staff",
        "remove",
        "--company",
        &id,
        "--email",
        "admin@example.com",
    ]);
    assert_eq!(
        refused,
        "error: --email: this member is the company's last admin; make another member admin first"
    );
    let refused = latch.cli_error(&[
        "staff",
        "set-role",
        "--company",
        &id,
        "--email",
        "member@example.com",
        "--role",
        "owner",
    ]);
    assert!(refused.contains("--role"), "{refused}");
    let refused = latch.cli_error(&[
        "staff",
        "remove",
        "--company",
        &id,
        "--email",
        "nobody@example.com",
    ]);
    assert!(refused.contains("nobody@example.com"), "{refused}");

    // With a second admin, the first may step down.
    latch.cli(&[
        "staff",
        "set-role",
        "--company",
        &id,
        "--email",
        "member@example.com",
        "--role",
        "admin",
    ]);
    let changed = latch.cli(&[
        "staff",
        "set-role",
        "--company",
        &id,
        "--email",
        "admin@example.com",
        "--role",
        "viewer",
    ]);
    assert_eq!(changed["role"], "viewer", "{changed}");

    let removed = latch.cli(&[
        "staff",
        "remove",
        "--company",
        &id,
        "--email",
        "admin@example.com",
    ]);
    assert_eq!(
        removed["removed"]["email"], "admin@example.com",
        "{removed}"
    );
    let listed = latch.cli(&["staff", "list", "--company", &id]);
    let emails: Vec<&str> = listed["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .filter_map(|member| member["email"].as_str())
        .collect();
    assert_eq!(emails, ["member@example.com"], "{listed}");
    let events = latch.cli(&["events", "--company", &id]);
    let names: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["event"].as_str())
        .collect();
    assert!(
        names.contains(&"staff.role_changed") && names.contains(&"staff.deleted"),
        "{events}"
    );
}
