"""GET /trial_key (key-based and user-based) through APIClient and LicenseManager.get_trial_license."""

from datetime import timedelta

import pytest
from licensespring.licensefile.license_manager import LicenseID
from licensespring.licensefile.object_parser.customer import Customer

from conftest import _create_product, key_id, make_hardware, now_utc, parse_z, unique

TRIAL_DAYS = 7


@pytest.fixture(scope="session")
def trial_products(latch, company):
    return {
        "key": _create_product(latch, company, "--allow-trial", "--trial-days", TRIAL_DAYS),
        "user": _create_product(latch, company, "--user-based", "--allow-trial", "--trial-days", TRIAL_DAYS),
    }


def email():
    return f"{unique('trial')}@example.com"


def assert_trial_validity(resp):
    valid = parse_z(resp["validity_period"])
    assert abs((valid - (now_utc() + timedelta(days=TRIAL_DAYS))).total_seconds()) < 120, resp["validity_period"]


def test_key_trial_is_created_once_and_activates(trial_products, api, hwid, cli):
    prod, hw = trial_products["key"], hwid()

    first = api.trial_key(product=prod.code, hardware_id=hw, email=email())
    assert first["is_trial"] is True
    assert first["license_type"] == "time-limited"
    key = first["license"]
    assert isinstance(key, str) and key

    again = api.trial_key(product=prod.code, hardware_id=hw)  # same product + device -> same trial
    assert (again["is_trial"], again["license"], again["license_type"]) == (True, key, "time-limited")

    lic = {"license_key": key, "product_code": prod.code}
    activated = api.activate_license(**key_id(lic, hw))
    assert (activated["is_trial"], activated["license_type"], activated["license_key"]) == (True, "time-limited", key)
    assert activated["trial_days"] == TRIAL_DAYS
    assert_trial_validity(activated)
    shown = cli("license", "show", key)
    assert (shown["is_trial"], shown["license_type"], shown["times_activated"]) == (True, "time-limited", 1)

    other = api.trial_key(product=prod.code, hardware_id=hwid())  # another device -> another trial
    assert other["license"] != key


def test_user_trial_with_initial_password(trial_products, make_api, make_manager, hwid):
    prod, hw, mail = trial_products["user"], hwid(), email()
    api = make_api(hardware_id=hw)

    first = api.trial_key(product=prod.code, hardware_id=hw, email=mail)
    assert first["is_trial"] is True and first["license_type"] == "time-limited"
    assert first["license_user"] == mail
    password = first["initial_password"]
    assert isinstance(password, str) and password
    assert "license" not in first  # Py would take a "license" key for a key-based trial

    again = api.trial_key(product=prod.code, hardware_id=hw, email=mail)
    assert (again["is_trial"], again["license_user"]) == (True, mail)
    assert "initial_password" in again and "license" not in again  # Py reads it unconditionally
    assert again["initial_password"] is None  # shown once, with the trial that created the user

    # the returned credentials activate the trial through the high-level API
    license = make_manager(hw, product_code=prod.code).activate_license(LicenseID.from_user(mail, password))
    assert license.is_trial() is True
    assert license.license_user()["email"] == mail
    assert license.check()["is_trial"] is True


@pytest.mark.parametrize("kind", ["key", "user"])
def test_sdk_get_trial_license(kind, trial_products, make_manager, hwid):
    prod, hw, mail = trial_products[kind], hwid(), email()
    manager = make_manager(hw, product_code=prod.code)

    license_id = manager.get_trial_license(Customer(mail, first_name="Tria", last_name="L"))
    if kind == "key":
        assert license_id.key and license_id.username is None
    else:
        assert (license_id.username, license_id.key) == (mail, None)
        assert license_id.password

    license = manager.activate_license(license_id)
    assert (license.is_trial(), license.license_type()) == (True, "time-limited")
    assert license.validity_period() is not None
    assert manager.get_trial_license(Customer(mail)).key == license_id.key  # repeat: same trial


def test_trial_not_allowed(api, product, hwid, expect_error):
    with expect_error("trial_not_allowed"):
        api.trial_key(product=product.code, hardware_id=hwid(), email=email())


def test_trial_missing_hardware_id(trial_products, make_api, expect_error):
    class NoHardware(make_hardware("unused")):
        def get_id(*_args):
            return None  # the SDK then sends no hardware_id at all

    api = make_api()
    api.hardware_id_provider = NoHardware()
    with expect_error("missing_hardware_id"):
        api.trial_key(product=trial_products["key"].code, email=email())


def test_trial_unknown_product(api, hwid, expect_error):
    with expect_error("unknown_product"):
        api.trial_key(product="no-such-product-xyz", hardware_id=hwid(), email=email())
