//! The Management API v1 over HTTP against a real `latch serve`, on SQLite and on PostgreSQL, as a
//! vendor's integration calls it: one module per resource. Run one with e.g.
//! `cargo test -p latch --test management keys::`.

#[path = "../support/mod.rs"]
#[macro_use]
mod support;

mod bundles;
mod catalog;
mod customer_accounts;
mod customers;
mod devices;
mod events;
mod keys;
mod licenses;
mod offline;
mod orders;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::Value;
use support::{send, Company, Latch, Reply, Server};

/// A management key of `company`, created with the CLI.
fn management_key(latch: &Latch, company: &Company, read_only: bool) -> String {
    let company_id = company.id.to_string();
    let mut args = vec!["management-key", "create", "--company", &company_id];
    if read_only {
        args.push("--read-only");
    }
    let created = latch.cli(&args);
    created["key"]
        .as_str()
        .expect("the key is printed")
        .to_owned()
}

/// A Management API client holding one key.
struct Api<'a> {
    server: &'a Server,
    key: String,
}

impl<'a> Api<'a> {
    fn new(server: &'a Server, key: &str) -> Self {
        Self {
            server,
            key: key.to_owned(),
        }
    }

    /// `METHOD /api/v1/PATH` with the key and, when given, a JSON body.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self
            .server
            .http
            .request(method, self.server.url(&format!("/api/v1/{path}")))
            .header(AUTHORIZATION, format!("Api-Key {}", self.key));
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        send(request).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }
}

/// Asserts the status and returns the JSON body.
fn expect(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "unexpected answer: {}", reply.text());
    reply.json()
}

/// Asserts a DRF-style `{"detail": ...}` answer with this status; returns the detail.
fn detail(reply: &Reply, status: u16) -> String {
    let body = expect(reply, status);
    body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {body}"))
        .to_owned()
}
