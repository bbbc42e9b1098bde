#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests, then the end-to-end suites that drive a real
# `latch` process with the official Python and Node SDKs. Needs the Rust toolchain, Python 3 and Node.
# PostgreSQL-backed runs use LATCH_TEST_POSTGRES_URL (default: the local server, database `test`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export LATCH_TEST_POSTGRES_URL=${LATCH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== cargo build"
cargo build --workspace --all-targets --locked

echo "== cargo test"
cargo test --workspace --locked

export LATCH_BIN="$root/target/debug/latch"

echo "== Python SDK end-to-end (licensespring 4.0.0)"
venv="$root/target/e2e-venv"
if [ ! -x "$venv/bin/pytest" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/e2e/python/requirements.txt
fi
"$venv/bin/pytest" -q tests/e2e/python

echo "== Node SDK end-to-end (@licensespring/node-sdk 1.4.17)"
(cd tests/e2e/node && npm ci --silent --no-audit --no-fund && node --test)
