"""User-based licenses: activate/check/deactivate by username+password, GET /user_licenses,
GET /customer_license_users, POST /change_password, license_id selection, per-user limits."""

from types import SimpleNamespace

import pytest
from licensespring.licensefile.license_manager import LicenseID
from licensespring.licensefile.object_parser.customer import Customer

from conftest import _create_product, unique

PASSWORD = "initial-Pa55word"


@pytest.fixture(scope="session")
def user_product(latch, company):
    return _create_product(latch, company, "--user-based")


@pytest.fixture
def make_customer(cli, company):
    def create():
        mail = f"{unique('cust')}@example.com"
        out = cli("customer", "create", "--company", company.company_id, "--email", mail,
                  "--first-name", "Cus", "--last-name", "Tomer")
        assert out["email"] == mail
        return mail

    return create


@pytest.fixture
def make_user(cli, company):
    """make_user(customer=None) -> {"email", "password", "user_id"} (password = PASSWORD)."""

    def create(customer=None):
        mail = f"{unique('user')}@example.com"
        extra = ["--customer", customer] if customer else []
        out = cli("user", "create", "--company", company.company_id, "--email", mail, "--password", PASSWORD,
                  "--first-name", "Ann", "--last-name", "User", *extra)
        assert (out["email"], out["initial_password"]) == (mail, PASSWORD), out
        return {"email": mail, "password": PASSWORD, "user_id": out["user_id"]}

    return create


@pytest.fixture
def user_license(new_license, user_product, cli):
    """user_license(user_email, *license_flags, user_flags=(...)) -> lic (license_key is null)."""

    def create(user_email, *flags, user_flags=("--max-activations", 5)):
        lic = new_license(user_product.code, "--max-activations", 10, *flags)
        assert lic["license_key"] is None, lic
        out = cli("license", "assign-user", "--license-id", lic["license_id"], "--user", user_email, *user_flags)
        assert (out["license_id"], out["user"]) == (lic["license_id"], user_email), out
        return lic

    return create


def uid(product, user, hw, **extra):
    return dict(product=product.code, username=user["email"], hardware_id=hw, **extra)


def test_user_activate_check_deactivate(user_product, make_user, user_license, api, hwid, show, expect_error):
    user, hw = make_user(), hwid()
    lic = user_license(user["email"], user_flags=("--max-activations", 3))

    # usernames are e-mails, matched case-insensitively
    resp = api.activate_license(product=user_product.code, username=user["email"].upper(), hardware_id=hw,
                                password=user["password"])
    assert resp["id"] == lic["license_id"]
    assert resp.get("license_key") is None
    assert resp["product_details"]["authorization_method"] == "user"
    assert resp["user"]["email"] == user["email"]
    assert (resp["user"]["max_activations"], resp["user"]["total_activations"]) == (3, 1)
    assert (resp["user"]["first_name"], resp["user"]["last_name"]) == ("Ann", "User")
    assert show(lic)["times_activated"] == 1

    checked = api.check_license(product=user_product.code, username=user["email"].title(), hardware_id=hw)
    assert (checked["id"], checked["license_active"], checked["user"]["email"]) == (lic["license_id"], True, user["email"])

    assert api.deactivate_license(**uid(user_product, user, hw)) == '"license_deactivated"'
    assert show(lic)["times_activated"] == 0
    with expect_error("license_not_active"):
        api.check_license(**uid(user_product, user, hw))


def test_sdk_user_license_lifecycle(user_product, make_user, user_license, make_manager, hwid, show):
    user = make_user()
    lic = user_license(user["email"])
    manager = make_manager(hwid(), product_code=user_product.code)

    license = manager.activate_license(LicenseID.from_user(user["email"], user["password"]))
    assert license.id() == lic["license_id"]
    assert license.license_user()["email"] == user["email"]
    assert license.check()["user"]["email"] == user["email"]
    license.deactivate()
    assert license.license_active() is False
    assert show(lic)["times_activated"] == 0


# ---- activation errors of user-based licenses -------------------------------------------------

def _wrong_password(w):
    w.user_license(w.user["email"])
    return dict(username=w.user["email"], password="not-the-password")


def _unknown_user(_w):
    return dict(username=f"{unique('ghost')}@example.com", password=PASSWORD)


def _user_without_license(w):
    return dict(username=w.user["email"], password=w.user["password"])


def _no_identity(_w):
    return {}


def _user_activation_limit(w):
    w.user_license(w.user["email"], user_flags=("--max-activations", 1))
    w.api.activate_license(product=w.product.code, username=w.user["email"], password=w.user["password"],
                           hardware_id=w.hwid())
    return dict(username=w.user["email"], password=w.user["password"])


@pytest.mark.parametrize("scenario, code", [
    (_wrong_password, "invalid_credentials"),
    (_unknown_user, "invalid_credentials"),
    (_user_without_license, "license_not_found"),
    (_no_identity, "missing_parameters"),
    (_user_activation_limit, "license_user_activated_max_times"),
], ids=lambda v: v if isinstance(v, str) else v.__name__.strip("_"))
def test_user_activation_errors(scenario, code, user_product, make_user, user_license, api, hwid, expect_error):
    class World(SimpleNamespace):
        @property
        def user(self):  # created only by the scenarios that need one (password hashing is slow)
            if "_user" not in self.__dict__:
                self._user = make_user()
            return self._user

    call = scenario(World(user_license=user_license, api=api, product=user_product, hwid=hwid))
    with expect_error(code):
        api.activate_license(product=user_product.code, hardware_id=hwid(), **call)


# ---- one user, two licenses of the product: license_id selects ------------------------------

def test_license_id_selects_among_users_licenses(user_product, make_user, user_license, api, hwid, show,
                                                 make_manager):
    user = make_user()
    first, second = user_license(user["email"]), user_license(user["email"])
    hw1, hw2 = hwid(), hwid()

    resp = api.activate_license(**uid(user_product, user, hw1), password=user["password"],
                                license_id=second["license_id"])
    assert resp["id"] == second["license_id"]
    assert (show(first)["times_activated"], show(second)["times_activated"]) == (0, 1)
    assert api.check_license(**uid(user_product, user, hw1), license_id=second["license_id"])["id"] \
        == second["license_id"]

    license = make_manager(hw2, product_code=user_product.code).activate_license(
        LicenseID.from_user(user["email"], user["password"]), unique_license_id=first["license_id"])
    assert license.id() == first["license_id"]
    assert license.check()["id"] == first["license_id"]  # the SDK sends the cached id back
    assert (show(first)["times_activated"], show(second)["times_activated"]) == (1, 1)


def test_user_licenses(user_product, make_user, user_license, api, make_manager, hwid, expect_error):
    user, other = make_user(), make_user()
    mine = {user_license(user["email"])["license_id"], user_license(user["email"])["license_id"]}
    user_license(other["email"])  # somebody else's license of the same product

    listed = api.user_licenses(product=user_product.code, username=user["email"], password=user["password"])
    assert {entry["license"]["id"] for entry in listed} == mine
    for entry in listed:
        assert entry["user"]["email"] == user["email"]
        assert entry["license"]["product_details"]["short_code"] == user_product.code
        assert isinstance(entry["license"]["license_enabled"], bool)

    via_sdk = make_manager(hwid(), product_code=user_product.code).get_user_licenses(
        LicenseID.from_user(user["email"], user["password"]))
    assert {entry["license"]["id"] for entry in via_sdk} == mine

    with expect_error("invalid_credentials"):
        api.user_licenses(product=user_product.code, username=user["email"], password="wrong-password")


def test_customer_license_users(user_product, make_customer, make_user, user_license, api, make_manager, hwid,
                                expect_error, cli, company):
    customer = make_customer()
    alice, bob = make_user(customer), make_user(customer)
    lic = user_license(alice["email"], "--customer", customer)
    lic_b = user_license(bob["email"], "--customer", customer)

    resp = api.customer_license_users(product=user_product.code, customer=customer)
    users = {u["email"]: u for u in resp["users"]}
    assert set(users) == {alice["email"], bob["email"]}
    assert users[alice["email"]]["license_id"] == lic["license_id"]
    assert users[bob["email"]]["license_id"] == lic_b["license_id"]
    assert users[alice["email"]]["first_name"] == "Ann"
    assert resp["customer"]["email"] == customer
    assert users[alice["email"]]["initial_password"] is None  # shown only if the company opts in

    cli("company", "set", "--company", company.company_id, "--expose-initial-passwords", "true")
    try:
        resp = api.customer_license_users(product=user_product.code, customer=customer)
        assert {u["email"]: u["initial_password"] for u in resp["users"]}[alice["email"]] == alice["password"]
    finally:
        cli("company", "set", "--company", company.company_id, "--expose-initial-passwords", "false")

    via_sdk = make_manager(hwid(), product_code=user_product.code).get_customer_license_users(Customer(customer))
    assert {u["email"] for u in via_sdk["users"]} == {alice["email"], bob["email"]}

    with expect_error("customer_does_not_exist"):
        api.customer_license_users(product=user_product.code, customer=f"{unique('nobody')}@example.com")


# ---- change_password ------------------------------------------------------------------------------

def test_change_password(user_product, make_user, user_license, api, hwid, expect_error):
    user = make_user()
    user_license(user["email"])
    new = "brand-new-Pa55"

    assert api.change_password(user["email"], user["password"], new) == '"password_changed"'

    with expect_error("invalid_credentials"):
        api.activate_license(**uid(user_product, user, hwid()), password=user["password"])
    assert api.activate_license(**uid(user_product, user, hwid()), password=new)["user"]["email"] == user["email"]


@pytest.mark.parametrize("current, new, code", [
    ("wrong-password", "another-Pa55", "invalid_credentials"),
    (PASSWORD, "short", "validation_error"),
], ids=["wrong-current-password", "new-password-too-short"])
def test_change_password_errors(current, new, code, user_product, make_user, user_license, api, hwid, expect_error):
    user = make_user()
    user_license(user["email"])
    with expect_error(code):
        api.change_password(user["email"], current, new)
    assert api.activate_license(**uid(user_product, user, hwid()), password=PASSWORD)["user"]["email"] \
        == user["email"]  # the password is unchanged


def test_sdk_change_password(user_product, make_user, user_license, make_manager, hwid, api):
    user = make_user()
    user_license(user["email"])
    license = make_manager(hwid(), product_code=user_product.code).activate_license(
        LicenseID.from_user(user["email"], user["password"]))
    assert license.change_password(user["password"], "sdk-changed-Pa55") == '"password_changed"'
    assert api.activate_license(**uid(user_product, user, hwid()), password="sdk-changed-Pa55")["id"] == license.id()
