"""Single sign-on with the Python SDK, unmodified: a customer account signs its people in at an
OpenID Connect provider (oidc-provider-mock, running in this process), the app asks Latch for the
provider's sign-in URL (LicenseManager.get_sso_url), the person signs in, and the app activates
with the code the provider sent back or with an id token. Refused sign-ins answer coded 4xx."""

import base64
import json
import urllib.parse
from datetime import timedelta

import pytest
import requests
from licensespring.licensefile.license_manager import LicenseID
from oidc_provider_mock import run_server_in_thread

from conftest import _create_product, unique

CLIENT_ID = "latch-e2e"
CLIENT_SECRET = "e2e-client-secret"
REDIRECT_URI = "http://localhost:3333/callback"


@pytest.fixture(scope="session")
def provider():
    """An OpenID Connect provider; its issuer is its own URL."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="session")
def stale_provider():
    """A second provider, whose tokens are two minutes past their expiry when issued."""
    with run_server_in_thread(access_token_max_age=timedelta(minutes=-2)) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="session")
def sso_product(latch, company):
    return _create_product(latch, company, "--user-based")


@pytest.fixture
def make_account(cli, company, new_license, sso_product):
    """make_account(issuer) -> (account code, e-mail of a license user of it holding a license)."""

    def create(issuer):
        code, email = unique("acct"), f"{unique('pat')}@acme.example"
        customer = f"{unique('buyer')}@acme.example"
        company_id = company.company_id
        account = cli("customer-account", "create", "--company", company_id, "--code", code,
                      "--name", "Acme Corp", "--oidc-issuer", issuer, "--oidc-client-id", CLIENT_ID,
                      "--oidc-client-secret", CLIENT_SECRET, "--oidc-redirect-uri", REDIRECT_URI)
        assert (account["code"], account["oidc_issuer"]) == (code, issuer), account
        cli("customer", "create", "--company", company_id, "--email", customer, "--account", code)
        cli("user", "create", "--company", company_id, "--email", email, "--customer", customer)
        lic = new_license(sso_product.code, "--customer", customer, "--max-activations", 5)
        cli("license", "assign-user", "--license-id", lic["license_id"], "--user", email,
            "--max-activations", 5)
        return code, email

    return create


def sign_in(authorize_url, email):
    """The person signs in at the provider's page as `email`; returns the code and state the
    provider redirects back with."""
    answer = requests.post(authorize_url, data={"sub": email}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = urllib.parse.urlparse(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = urllib.parse.parse_qs(location.query)
    return query["code"][0], query["state"][0]


def id_token_from(issuer, email, client_id=CLIENT_ID):
    """An id token for `email` from `issuer`: signed in there, then the code exchanged by the app."""
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": REDIRECT_URI,
                                    "response_type": "code", "scope": "openid email",
                                    "state": "s", "nonce": "n"})
    code, _ = sign_in(f"{issuer}/oauth2/authorize?{query}", email)
    answer = requests.post(f"{issuer}/oauth2/token", auth=(client_id, CLIENT_SECRET), timeout=10,
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT_URI})
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"]


def query_of(url):
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


def test_sso_url_then_code_activation(provider, make_account, make_manager, sso_product, hwid):
    code, email = make_account(provider)
    manager = make_manager(hwid(), product_code=sso_product.code)

    answer = manager.get_sso_url(code)  # the manager asks for a code by default
    assert answer["openid_configuration"]["issuer"] == provider
    assert answer["openid_configuration"]["token_endpoint"] == f"{provider}/oauth2/token"
    assert answer["url"].startswith(f"{provider}/oauth2/authorize?")
    query = query_of(answer["url"])
    assert (query["client_id"], query["response_type"], query["scope"]) == (CLIENT_ID, "code", "openid email")
    assert query["redirect_uri"] == REDIRECT_URI  # the account's first: the SDK sends none

    provider_code, state = sign_in(answer["url"], email)
    assert state == query["state"]
    license = manager.activate_license(LicenseID(), customer_account_code=code, code=provider_code)
    data = license.licensefile_handler._cache
    assert data.user_manager.email == email
    # Later calls name the license user, as the SDK does on its own.
    license.check()
    assert license.is_valid()


def test_id_token_activation(provider, make_account, make_manager, make_api, sso_product, hwid):
    code, email = make_account(provider)
    manager = make_manager(hwid(), product_code=sso_product.code)
    implicit = manager.get_sso_url(code, use_auth_code=False)
    assert query_of(implicit["url"])["response_type"] == "id_token"

    token = id_token_from(provider, email)
    license = manager.activate_license(LicenseID(), customer_account_code=code, id_token=token)
    assert license.licensefile_handler._cache.user_manager.email == email
    license.check()

    held = make_api().user_licenses(product=sso_product.code, customer_account_code=code, id_token=token)
    assert [entry["user"]["email"] for entry in held] == [email]
    customer_account = held[0]["license"]["customer"]["customer_account"]
    assert (customer_account["code"], customer_account["name"]) == (code, "Acme Corp")


def unsigned(token):
    """The token's claims under "alg": "none", without a signature."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    return f"{header.decode()}.{token.split('.')[1]}."


def with_key_id(token, kid):
    """The token with a key id the provider never published (its signature no longer matches)."""
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    header["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return ".".join([encoded, *token.split(".")[1:]])


def test_refused_sign_ins_are_coded(provider, stale_provider, make_account, make_api, sso_product, hwid,
                                    expect_error):
    code, email = make_account(provider)
    stale_code, stale_email = make_account(stale_provider)
    api = make_api()
    good = id_token_from(provider, email)

    def activate(**credentials):
        return api.activate_license(product=sso_product.code, hardware_id=hwid(), **credentials)

    refusals = [
        (stale_code, id_token_from(stale_provider, stale_email), "sso_token_invalid", "expired"),
        (code, id_token_from(stale_provider, email), "sso_token_invalid", "signature"),
        (code, id_token_from(provider, email, client_id="another-app"), "sso_token_invalid", "client"),
        (code, unsigned(good), "sso_token_invalid", "RS256 or ES256"),
        (code, with_key_id(good, "never-published"), "sso_token_invalid", "never-published"),
        (code, id_token_from(provider, f"{unique('nobody')}@acme.example"), "sso_user_not_found", "e-mail"),
    ]
    for account, token, expected, says in refusals:
        with expect_error(expected, status=400) as refused:
            activate(customer_account_code=account, id_token=token)
        assert says in refused.value.message, refused.value
    with expect_error("customer_account_not_found", status=400):
        activate(customer_account_code=unique("nope"), id_token=good)

    # A code is good once.
    query = query_of(api.sso_url(product=sso_product.code, customer_account_code=code, response_type="code")["url"])
    provider_code, _ = sign_in(f"{provider}/oauth2/authorize?{urllib.parse.urlencode(query)}", email)
    assert activate(customer_account_code=code, code=provider_code)["user"]["email"] == email
    with expect_error("sso_token_invalid", status=400):
        activate(customer_account_code=code, code=provider_code)
