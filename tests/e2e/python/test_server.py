"""Server basics, signature verification with the right/wrong key, API-key auth."""

import time

import pytest
import requests
from Crypto.PublicKey import RSA
from licensespring.api.error import ClientError

from conftest import _create_product


def test_is_online(make_manager, hwid):
    assert make_manager(hwid()).is_online() is True


def test_healthz(server):
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_unknown_path_is_404(server):
    assert requests.get(f"{server.url}/api/v4/no_such_endpoint", timeout=5).status_code == 404


def test_company_public_key_cli_matches_create(latch, company):
    proc = latch.run("company", "public-key", "--company", company.company_id)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == company.public_key_pem.strip()


def test_responses_carry_a_verifiable_signature_header(api, product, wire, verifier):
    api.product_details(product=product.code)
    raw = wire.last
    assert raw.status_code == 200
    assert raw.headers["Content-Type"].startswith("application/json")
    verifier().verify_license_signature_v2(raw.content, raw.headers["LicenseSignature"])


@pytest.fixture(params=["random_key", "other_company_key"])
def wrong_pem(request):
    if request.param == "random_key":
        return RSA.generate(2048).publickey().export_key().decode()
    return request.getfixturevalue("other_company").public_key_pem


CALLS = {
    "product_details": lambda api, lic, code, hw: api.product_details(product=code),
    "activate_license": lambda api, lic, code, hw: api.activate_license(
        product=code, license_key=lic["license_key"], hardware_id=hw),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_wrong_public_key_rejects_response(call, wrong_pem, make_api, make_license, product, hwid, company, wire):
    assert wrong_pem.strip() != company.public_key_pem.strip()
    api = make_api(public_key_pem=wrong_pem)
    # pycryptodome: "Invalid signature", or "Plaintext too large" when the signature value
    # exceeds the wrong key's modulus — both are the SDK refusing the response
    with pytest.raises(ValueError, match="Invalid signature|Plaintext too large"):
        CALLS[call](api, make_license(), product.code, hwid())
    assert wire.last.status_code == 200  # the server answered; only the signature check failed


def test_other_company_key_does_verify_its_own_responses(latch, other_company, make_api):
    prod = _create_product(latch, other_company)
    api = make_api(public_key_pem=other_company.public_key_pem,
                   api_key=other_company.api_key, shared_key=other_company.shared_key)
    assert api.product_details(product=prod.code)["short_code"] == prod.code


@pytest.mark.parametrize("key_kind", ["invalid", "revoked"])
def test_api_key_rejected(key_kind, cli, company, make_api, product, expect_error):
    if key_kind == "invalid":
        api_key, shared_key, code = "no-such-api-key", company.shared_key, "invalid_api_key"
    else:
        created = cli("api-key", "create", "--company", company.company_id)
        assert created["read_only"] is False and created["company_id"] == company.company_id
        api_key, shared_key = created["api_key"], created["shared_key"]
        assert make_api(api_key=api_key, shared_key=shared_key).product_details(product=product.code)
        assert cli("api-key", "revoke", api_key) == {"api_key": api_key, "revoked": True}
        code = "revoked_api_key"
        # the server caches API-key lookups briefly (API_KEY_TTL, 2 s); revocation must bite within 5 s
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                make_api(api_key=api_key, shared_key=shared_key).product_details(product=product.code)
            except ClientError:
                break
            time.sleep(0.2)
    with expect_error(code):
        make_api(api_key=api_key, shared_key=shared_key).product_details(product=product.code)
