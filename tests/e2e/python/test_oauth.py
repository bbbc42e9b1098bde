"""OAuth clients with the Python SDK, unmodified: `APIClient(client_id=, client_secret=)` and
`Configuration(client_id=, client_secret=)` fetch the token URL from `oauth_url`, trade the client's
credentials for an access token and send it as a Bearer token; expired tokens are refreshed, revoked
clients stop at the token endpoint, and offline files made under OAuth are signed with the client secret."""

import base64
import copy
import hashlib
import hmac
import json
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
from licensespring.api import APIClient
from licensespring.api.error import InvalidClientCredentials
from licensespring.licensefile.config import Configuration
from licensespring.licensefile.license_manager import LicenseID, LicenseManager

from conftest import SHUTDOWN_TIMEOUT, _start_server, make_hardware, unique

# Seconds an access token lives on the short-lived server; the SDK treats one as valid for 5 s less.
SHORT_TOKEN_LIFETIME = 6


@pytest.fixture
def oauth_client(cli, company):
    out = cli("oauth-client", "create", "--company", company.company_id)
    assert out["client_id"].startswith("oauth_") and out["client_secret"], out
    return out


def oauth_api(server, verifier, client, hardware_id, client_secret=None):
    return APIClient(
        client_id=client["client_id"],
        client_secret=client_secret or client["client_secret"],
        api_protocol="http",
        api_domain=server.host_port,
        signature_verifier=verifier,
        hardware_id_provider=make_hardware(hardware_id),
    )


def oauth_manager(server, verifier, client, product_code, hardware_id, tmp_path):
    return LicenseManager(Configuration(
        product=product_code,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        api_protocol="http",
        api_domain=server.host_port,
        signature_verifier=verifier,
        hardware_id_provider=make_hardware(hardware_id),
        file_path=str(tmp_path / unique("lsfile")),
    ))


def bearer_requests(wire):
    """The License API calls the SDK made with a Bearer token, as (status, code or None)."""
    return [(response.status_code, response.json().get("code") if response.status_code >= 400 else None)
            for response in wire.responses
            if response.request.headers.get("Authorization", "").startswith("Bearer ")]


@pytest.fixture(scope="module")
def short_lived_server(latch, company, tmp_path_factory):
    """A second server on the same database whose access tokens live SHORT_TOKEN_LIFETIME seconds."""
    short = copy.copy(latch)
    short.env = {**latch.env, "LATCH_OAUTH_TOKEN_LIFETIME": str(SHORT_TOKEN_LIFETIME)}
    srv = _start_server(short, tmp_path_factory.mktemp("short-lived") / "stderr.log")
    yield srv
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=SHUTDOWN_TIMEOUT) == 0


def test_api_client_activates_checks_and_deactivates_with_bearer_tokens(
        server, verifier, oauth_client, make_license, hwid, product, show, wire):
    lic, hw = make_license("--max-activations", 1), hwid()
    api = oauth_api(server, verifier, oauth_client, hw)

    activated = api.activate_license(product=product.code, license_key=lic["license_key"])
    assert (activated["license_key"], activated["license_active"]) == (lic["license_key"], True)
    checked = api.check_license(product=product.code, license_key=lic["license_key"])
    assert checked["hardware_id"] == hw
    assert show(lic)["times_activated"] == 1
    api.deactivate_license(product=product.code, license_key=lic["license_key"])
    assert show(lic)["times_activated"] == 0
    # One token for all three calls, each sent as a Bearer token and answered.
    assert bearer_requests(wire) == [(200, None)] * 3


def test_license_manager_with_an_oauth_configuration(server, verifier, oauth_client, make_license, hwid,
                                                     product, show, tmp_path):
    lic = make_license()
    manager = oauth_manager(server, verifier, oauth_client, product.code, hwid(), tmp_path)
    license = manager.activate_license(LicenseID.from_key(lic["license_key"]))
    assert license.license_active() is True
    license.check()
    assert show(lic)["times_activated"] == 1
    license.deactivate()
    assert show(lic)["times_activated"] == 0


def test_a_wrong_secret_is_refused_at_the_token_endpoint(server, verifier, oauth_client, product, hwid):
    api = oauth_api(server, verifier, oauth_client, hwid(), client_secret="not-the-secret")
    with pytest.raises(InvalidClientCredentials):
        api.product_details(product=product.code)


def test_an_expired_token_is_refreshed(short_lived_server, verifier, oauth_client, make_license, hwid,
                                       product, wire):
    lic, hw = make_license(), hwid()
    api = oauth_api(short_lived_server, verifier, oauth_client, hw)
    api.activate_license(product=product.code, license_key=lic["license_key"])
    first_token = api.token

    # The SDK believes its token valid for another hour (as a client whose clock lags would): the
    # server refuses it once expired, and the SDK fetches a new one and tries again.
    api.token_validity = datetime.now(timezone.utc) + timedelta(hours=1)
    time.sleep(SHORT_TOKEN_LIFETIME + 1)
    checked = api.check_license(product=product.code, license_key=lic["license_key"])
    assert checked["license_active"] is True
    assert api.token != first_token
    assert bearer_requests(wire) == [(200, None), (401, "oauth_token_expired"), (200, None)]

    # Left alone, the SDK itself renews a token it knows to be (nearly) expired.
    renewed = api.token
    time.sleep(2)
    api.check_license(product=product.code, license_key=lic["license_key"])
    assert api.token != renewed
    assert bearer_requests(wire)[-1] == (200, None)


def test_a_revoked_client_stops_at_the_token_endpoint(server, verifier, oauth_client, cli, product, hwid, wire):
    api = oauth_api(server, verifier, oauth_client, hwid())
    api.product_details(product=product.code)
    revoked = cli("oauth-client", "revoke", oauth_client["client_id"])
    assert revoked["revoked"] is True
    time.sleep(2.5)  # every node trusts what it read of a client for up to 2 s

    with pytest.raises(InvalidClientCredentials):
        api.product_details(product=product.code)
    # The token in hand was refused (the SDK then asked for a new one, which was refused in turn).
    assert bearer_requests(wire)[-1] == (401, "oauth_token_expired")


def hmac_b64(key, message):
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def test_offline_activation_and_deactivation_under_oauth(server, latch, company, verifier, oauth_client,
                                                         make_license, hwid, product, show, tmp_path):
    lic, hw = make_license(), hwid()
    manager = oauth_manager(server, verifier, oauth_client, product.code, hw, tmp_path)
    request = manager.create_offline_activation_file(LicenseID.from_key(lic["license_key"]),
                                                     str(tmp_path / "oauth-req"))
    sent = json.loads(base64.b64decode(open(request).read()))["request"]
    assert sent["client_id"] == oauth_client["client_id"] and "api_key" not in sent

    out = tmp_path / "oauth.lic"
    proc = latch.run("offline", "activate", "--company", company.company_id, "--request", request, "--out", out)
    assert proc.returncode == 0, proc.stderr
    answered = json.loads(base64.b64decode(out.read_text()))
    # offline_signature (spec §5.4): HMAC with the client secret, over lines ending in the client id.
    assert answered["offline_signature"] == hmac_b64(
        oauth_client["client_secret"],
        f"licenseSpring\ndate: {answered['date']}\n{lic['license_key']}\n{hw}\n{oauth_client['client_id']}")

    license = manager.activate_license_offline(str(out))
    assert license.license_active() is True
    assert show(lic)["times_activated"] == 1

    # The SDK HMACs OAuth deactivation files with the client id instead of the secret; Latch takes them.
    deactivation = license.deactivate_offline(str(tmp_path / "oauth-deact"))
    proc = latch.run("offline", "deactivate", "--company", company.company_id, "--request", deactivation)
    assert proc.returncode == 0, proc.stderr
    assert show(lic)["times_activated"] == 0


def test_offline_request_of_a_revoked_client_is_refused(server, latch, company, verifier, oauth_client, cli,
                                                        make_license, hwid, product, show, tmp_path):
    lic = make_license()
    manager = oauth_manager(server, verifier, oauth_client, product.code, hwid(), tmp_path)
    request = manager.create_offline_activation_file(LicenseID.from_key(lic["license_key"]),
                                                     str(tmp_path / "oauth-req"))
    cli("oauth-client", "revoke", oauth_client["client_id"])
    proc = latch.run("offline", "activate", "--company", company.company_id, "--request", request,
                     "--out", tmp_path / "never.lic")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: revoked_api_key"), proc.stderr
    assert show(lic)["times_activated"] == 0
