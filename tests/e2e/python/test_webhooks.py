"""Webhooks: an SDK activation reaches a receiver within seconds, and both reference verifiers,
`standardwebhooks` (PyPI) and the official SDK's `licensespring.webhook`, accept the delivery as
sent and refuse it with a tampered body.

Runs its own server on its own data (the session server does not allow private targets such as
this test's receiver on 127.0.0.1)."""

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from licensespring.api import APIClient
from licensespring.webhook import Webhook as LicenseSpringWebhook
from licensespring.webhook.error import SignatureVerificationError
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from conftest import (SHUTDOWN_TIMEOUT, Latch, _create_company, _create_product, _start_server,
                      make_hardware, make_verifier, unique)


class Receiver:
    """An HTTP receiver in a thread that keeps every request's headers and raw body."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait_for(self, event, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for headers, body in list(self.received):
                if json.loads(body)["event"] == event:
                    return headers, body
            time.sleep(0.05)
        pytest.fail(f"no {event} within {timeout}s; got {[json.loads(b)['event'] for _, b in self.received]}")


@pytest.fixture
def webhook_world(tmp_path):
    latch = Latch(tmp_path / "data")
    latch.env["LATCH_WEBHOOK_ALLOW_PRIVATE"] = "true"
    company = _create_company(latch, tmp_path, "Webhooks Inc")
    product = _create_product(latch, company)
    receiver = Receiver()
    server = _start_server(latch, tmp_path / "server.log")
    yield latch, company, product, receiver, server
    receiver.http.shutdown()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=SHUTDOWN_TIMEOUT + 15) == 0


def header(headers, name):
    """A header by name, whatever its case."""
    return next(value for key, value in headers.items() if key.lower() == name.lower())


def test_an_sdk_activation_is_delivered_and_both_verifiers_accept_it(webhook_world):
    latch, company, product, receiver, server = webhook_world
    created = latch.cli("webhook", "create", "--company", company.company_id, "--url", receiver.url,
                        "--events", "license.*,device.*")
    assert set(created) == {"id", "secret"}
    secret = created["secret"]
    assert secret.startswith("whsec_")
    key = latch.cli("license", "create", "--company", company.company_id, "--product", product.code,
                    "--max-activations", "3")["license_key"]
    hardware_id = unique("hw")
    api = APIClient(api_key=company.api_key, shared_key=company.shared_key, api_protocol="http",
                    api_domain=server.host_port, signature_verifier=make_verifier(company.public_key_pem),
                    hardware_id_provider=make_hardware(hardware_id))
    started = time.monotonic()
    api.activate_license(product=product.code, license_key=key, hardware_id=hardware_id)

    headers, body = receiver.wait_for("license.activated")
    assert time.monotonic() - started < 5
    text = body.decode()

    standard = StandardWebhook(secret)
    event = standard.verify(body, {name.lower(): value for name, value in headers.items()})
    assert event["event"] == "license.activated"
    assert event["id"] == header(headers, "webhook-id")
    assert event["company_id"] == company.company_id
    assert event["user_id"] is None
    assert isinstance(event["ts"], int)
    assert event["data"]["license"]["license_key"] == key
    assert event["data"]["device"]["hardware_id"] == hardware_id

    signature = header(headers, "LicenseSpring-Signature")
    assert LicenseSpringWebhook.get_event(text, signature, secret) == event

    tampered = text.replace(hardware_id, unique("hw"))
    assert tampered != text
    with pytest.raises(WebhookVerificationError):
        standard.verify(tampered, {name.lower(): value for name, value in headers.items()})
    with pytest.raises(SignatureVerificationError):
        LicenseSpringWebhook.get_event(tampered, signature, secret)
