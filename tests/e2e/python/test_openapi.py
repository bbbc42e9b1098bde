"""The Management API's OpenAPI document is valid, and a live Latch keeps to it: Schemathesis sends
generated requests to every operation and refuses any server error, an undocumented status, or a
body that disagrees with the documented schema."""

import json
import os
from pathlib import Path

import subprocess
import sys

import requests
from openapi_spec_validator import validate

from conftest import unique

REPO = Path(__file__).resolve().parents[3]
# Generated cases per operation: enough to reach every documented status, small enough for CI.
EXAMPLES = int(os.environ.get("LATCH_SCHEMATHESIS_EXAMPLES", "12"))


def test_the_checked_in_document_is_valid_openapi():
    validate(json.loads((REPO / "docs" / "openapi.json").read_text()))


def test_the_served_document_is_the_checked_in_one(server):
    served = requests.get(f"{server.url}/api/v1/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == json.loads((REPO / "docs" / "openapi.json").read_text())


def test_every_operation_keeps_to_the_document(server, cli):
    # A company of its own: generated cases change, delete and revoke whatever they find.
    company_id = cli("company", "create", "--name", unique("Schemathesis"))["company_id"]
    key = cli("management-key", "create", "--company", company_id)["key"]
    # Revoking the key in use would turn the rest of the run into 403s.
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{server.url}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "1",
            "--header",
            f"Authorization: Api-Key {key}",
            "--exclude-path",
            "/management-keys/{id}/revoke/",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
