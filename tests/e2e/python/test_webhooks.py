"""Webhooks: an SDK activation reaches a receiver within seconds, and both reference verifiers,
`standardwebhooks` (PyPI) and the official SDK's `licensespring.webhook`, accept the delivery as
sent and refuse it with a tampered body.

Runs its own server on its own data (`webhook_world`: the session server does not allow private
targets such as the receiver on 127.0.0.1)."""

import time

import pytest
from licensespring.api import APIClient
from licensespring.webhook import Webhook as LicenseSpringWebhook
from licensespring.webhook.error import SignatureVerificationError
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from conftest import header, make_hardware, make_verifier, unique


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
