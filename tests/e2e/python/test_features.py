"""GET /check_license_feature, POST /floating/feature_borrow, POST /floating/feature_release, and
expired features in check/activate bodies (include_expired_features)."""

from datetime import timedelta

import pytest
from licensespring.licensefile.license_manager import LicenseID

from conftest import iso_z, key_id, next_second, now_utc, parse_z


@pytest.fixture
def feature_license(new_license, feature_product, grant, api, hwid):
    """feature_license(grants={code: [flags]}, max_activations=3) -> (lic, [hw...]) with the
    first device activated."""

    def create(grants, max_activations=3, devices=1):
        lic = new_license(feature_product.code, "--max-activations", max_activations)
        for code, flags in grants.items():
            grant(lic, code, *flags)
        hws = [hwid() for _ in range(devices)]
        for hw in hws:
            api.activate_license(**key_id(lic, hw))
        return lic, hws

    return create


# ---- check_license_feature -------------------------------------------------------------------

def test_check_activation_and_consumption_feature(feature_license, api, feature_product):
    lic, [hw] = feature_license({"act": [], "cons": ["--max-consumptions", 9, "--max-overages", 1]})
    api.add_feature_consumption(**key_id(lic, hw), feature="cons", consumptions=2)

    act = api.check_license_feature(**key_id(lic, hw), feature="act")
    assert (act["code"], act["name"], act["feature_type"]) == ("act", "Feature act", "activation")
    assert act["license_id"] == lic["license_id"]
    assert (act["is_floating"], act["is_floating_cloud"]) == (False, False)
    assert act["expiry_date"] is None
    assert isinstance(act["metadata"], dict)

    cons = api.check_license_feature(**key_id(lic, hw), feature="cons")
    assert (cons["code"], cons["feature_type"]) == ("cons", "consumption")
    assert (cons["max_consumption"], cons["total_consumptions"], cons["max_overages"]) == (9, 2, 1)
    assert (cons["allow_overages"], cons["allow_unlimited_consumptions"]) == (True, False)


@pytest.mark.parametrize("feature", ["no-such-feature", "fcons"], ids=["unknown-code", "product-feature-not-granted"])
def test_check_unknown_feature(feature, feature_license, api, expect_error):
    lic, [hw] = feature_license({"act": []})
    with expect_error("invalid_license_feature_code"):
        api.check_license_feature(**key_id(lic, hw), feature=feature)


def test_sdk_check_feature_stores_it(feature_license, make_manager, feature_product, hwid):
    lic, _ = feature_license({"act": [], "cons": ["--max-consumptions", 3]}, devices=0)
    license = make_manager(hwid(), product_code=feature_product.code).activate_license(
        LicenseID.from_key(lic["license_key"]))
    assert sorted(license.features()) == ["act", "cons"]
    license.check_feature("cons")
    data = license.get_feature_data("cons")
    assert (data["code"], data["feature_type"], data["max_consumption"]) == ("cons", "consumption", 3)


# ---- floating features ---------------------------------------------------------------------------

def test_floating_feature_seats(feature_license, api, expect_error, wire):
    lic, [a, b] = feature_license({"flt": ["--floating-users", 1, "--floating-timeout", 15]}, devices=2)

    first = api.check_license_feature(**key_id(lic, a), feature="flt")
    assert (first["is_floating_cloud"], first["floating_users"], first["floating_timeout"]) == (True, 1, 15)
    assert first["floating_in_use_devices"] == 1
    assert api.check_license_feature(**key_id(lic, a), feature="flt")["floating_in_use_devices"] == 1  # renewal

    with expect_error("floating_not_available"):
        api.check_license_feature(**key_id(lic, b), feature="flt")

    api.floating_feature_release(**key_id(lic, a), feature="flt")
    assert wire.last.status_code == 200 and wire.last.json() == ""

    taken = api.check_license_feature(**key_id(lic, b), feature="flt")
    assert taken["floating_in_use_devices"] == 1
    with expect_error("floating_not_available"):
        api.check_license_feature(**key_id(lic, a), feature="flt")
    next_second()  # the same release as before
    with expect_error("floating_feature_device_not_in_use"):
        api.floating_feature_release(**key_id(lic, a), feature="flt")


def test_floating_feature_two_seats_count(feature_license, api, expect_error):
    lic, [a, b, c] = feature_license({"flt": ["--floating-users", 2]}, devices=3)
    counts = [api.check_license_feature(**key_id(lic, hw), feature="flt")["floating_in_use_devices"] for hw in (a, b)]
    assert counts == [1, 2]
    with expect_error("floating_not_available"):
        api.check_license_feature(**key_id(lic, c), feature="flt")


@pytest.mark.parametrize("call", ["release", "borrow"])
def test_feature_not_floating(call, feature_license, api, expect_error):
    lic, [hw] = feature_license({"act": ["--max-borrow-time", 24]})
    with expect_error("feature_not_floating"):
        if call == "release":
            api.floating_feature_release(**key_id(lic, hw), feature="act")
        else:
            api.borrow_license_feature(**key_id(lic, hw), feature="act", borrowed_until=None)


@pytest.mark.parametrize("call", ["check", "release", "borrow"])
def test_floating_feature_unknown_code(call, feature_license, api, expect_error):
    lic, [hw] = feature_license({"flt": ["--floating-users", 1, "--max-borrow-time", 24]})
    with expect_error("invalid_license_feature_code"):
        if call == "check":
            api.check_license_feature(**key_id(lic, hw), feature="nope")
        elif call == "release":
            api.floating_feature_release(**key_id(lic, hw), feature="nope")
        else:
            api.borrow_license_feature(**key_id(lic, hw), feature="nope", borrowed_until=None)


@pytest.mark.parametrize("requested_hours", [None, 2, 24], ids=["default-max", "2h", "exactly-max"])
def test_feature_borrow(requested_hours, feature_license, api, expect_error):
    lic, [hw, other] = feature_license({"flt": ["--floating-users", 1, "--max-borrow-time", 24]}, devices=2)
    before = now_utc()
    until = None if requested_hours is None else iso_z(before + timedelta(hours=requested_hours))

    resp = api.borrow_license_feature(**key_id(lic, hw), feature="flt", borrowed_until=until)

    got = parse_z(resp["borrowed_until"])
    hours = 24 if requested_hours is None else requested_hours
    assert abs((got - (before + timedelta(hours=hours))).total_seconds()) < 60, resp
    assert got <= now_utc() + timedelta(hours=24, seconds=1)
    with expect_error("floating_not_available"):  # the borrow holds the only seat
        api.check_license_feature(**key_id(lic, other), feature="flt")


@pytest.mark.parametrize("grant_flags, until_hours, code", [
    (["--floating-users", 1, "--max-borrow-time", 24], 25, "borrow_until_not_valid"),
    (["--floating-users", 1, "--max-borrow-time", 24], -1, "borrow_until_not_valid"),
    (["--floating-users", 1], 1, "license_borrow_not_allowed"),
    (["--floating-users", 1], None, "license_borrow_not_allowed"),
], ids=["beyond-max", "in-the-past", "no-borrowing", "no-borrowing-default-date"])
def test_feature_borrow_errors(grant_flags, until_hours, code, feature_license, api, expect_error):
    lic, [hw] = feature_license({"flt": grant_flags})
    until = None if until_hours is None else iso_z(now_utc() + timedelta(hours=until_hours))
    with expect_error(code):
        api.borrow_license_feature(**key_id(lic, hw), feature="flt", borrowed_until=until)


def test_feature_borrow_when_seats_taken(feature_license, api, expect_error):
    lic, [a, b] = feature_license({"flt": ["--floating-users", 1, "--max-borrow-time", 24]}, devices=2)
    api.check_license_feature(**key_id(lic, a), feature="flt")
    with expect_error("floating_not_available"):
        api.borrow_license_feature(**key_id(lic, b), feature="flt", borrowed_until=None)


def test_sdk_borrow_and_release_feature(feature_license, make_manager, feature_product, hwid, api, expect_error):
    lic, [other] = feature_license({"flt": ["--floating-users", 1, "--max-borrow-time", 48]})
    license = make_manager(hwid(), product_code=feature_product.code).activate_license(
        LicenseID.from_key(lic["license_key"]))

    license.check_feature("flt")
    data = license.get_feature_data("flt")
    assert (data["is_floating_cloud"], data["floating_users"], data["floating_in_use_devices"]) == (True, 1, 1)

    until = now_utc() + timedelta(hours=10)
    license.borrow_feature("flt", iso_z(until))  # Py parses borrowed_until[:-1]: must end in Z
    with expect_error("floating_not_available"):
        api.check_license_feature(**key_id(lic, other), feature="flt")

    license.release_feature("flt")
    assert api.check_license_feature(**key_id(lic, other), feature="flt")["floating_in_use_devices"] == 1


# ---- expired features -----------------------------------------------------------------------------

def _codes(body):
    return sorted(f["code"] for f in body["product_features"])


def test_expired_features_hidden_unless_requested(new_license, feature_product, grant, api, hwid):
    lic, hw = new_license(feature_product.code), hwid()
    grant(lic, "act", "--expiry-date", "2020-01-01")
    grant(lic, "flt", "--expiry-date", "2099-01-01")
    grant(lic, "cons", "--max-consumptions", 1)

    assert _codes(api.activate_license(**key_id(lic, hw))) == ["cons", "flt"]
    assert _codes(api.check_license(**key_id(lic, hw))) == ["cons", "flt"]
    assert _codes(api.check_license(**key_id(lic, hw), include_expired_features=False)) == ["cons", "flt"]
    full = api.check_license(**key_id(lic, hw), include_expired_features=True)
    assert _codes(full) == ["act", "cons", "flt"]
    expiry = {f["code"]: f["expiry_date"] for f in full["product_features"]}
    assert expiry == {"act": "2020-01-01T00:00:00.000Z", "flt": "2099-01-01T00:00:00.000Z", "cons": None}


def test_sdk_check_include_expired_features(new_license, feature_product, grant, make_manager, hwid):
    lic = new_license(feature_product.code)
    grant(lic, "act", "--expiry-date", "2020-01-01")
    grant(lic, "cons", "--max-consumptions", 1)
    license = make_manager(hwid(), product_code=feature_product.code).activate_license(
        LicenseID.from_key(lic["license_key"]))
    assert _codes(license.check()) == ["cons"]
    assert _codes(license.check(include_expired_features=True)) == ["act", "cons"]
