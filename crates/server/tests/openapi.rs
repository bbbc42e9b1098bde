//! The checked-in OpenAPI document (docs/openapi.json) is the one the code generates.

use std::path::PathBuf;

#[test]
fn the_checked_in_openapi_document_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = latch_server::management::openapi_text();
    if std::env::var_os("LATCH_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json is stale: regenerate it with \
         `LATCH_UPDATE_OPENAPI=1 cargo test -p latch-server --test openapi`"
    );
}
