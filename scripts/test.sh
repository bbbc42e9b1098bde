#!/usr/bin/env bash
# Runs every check and test: formatting, lints, Rust unit and integration tests, then the end-to-end
# suites that drive a real `latch` process with the official Python and Node SDKs. Needs the Rust toolchain, Python 3 and Node.
# PostgreSQL-backed runs use LATCH_TEST_POSTGRES_URL (default: the local server, database `test`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export LATCH_TEST_POSTGRES_URL=${LATCH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo build"
cargo build --workspace --all-targets --locked

echo "== cargo test"
cargo test --workspace --locked

export LATCH_BIN="$root/target/debug/latch"

venv="$root/target/e2e-venv"
requirements=tests/e2e/python/requirements.txt
if ! cmp -s "$requirements" "$venv/installed-requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/installed-requirements.txt"
fi
(cd tests/e2e/node && npm ci --silent --no-audit --no-fund)

# The SDK suites run once per backend; LATCH_TEST_DATABASE_URL selects PostgreSQL.
for backend in sqlite postgres; do
    if [ "$backend" = postgres ]; then
        export LATCH_TEST_DATABASE_URL="$LATCH_TEST_POSTGRES_URL"
    else
        unset LATCH_TEST_DATABASE_URL
    fi
    echo "== Python SDK end-to-end (licensespring 4.0.0) on $backend"
    "$venv/bin/pytest" -q tests/e2e/python
    echo "== Node SDK end-to-end (@licensespring/node-sdk 1.4.17) on $backend"
    (cd tests/e2e/node && node --test)
done
