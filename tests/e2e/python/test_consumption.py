"""POST /add_consumption and /add_feature_consumption: limits, overages, refunds, error codes.
Exact codes through APIClient; the SDK's local-then-sync path through License."""

import pytest
from licensespring.licensefile.license_manager import LicenseID

from conftest import key_id, next_second

# ---- add_consumption ----------------------------------------------------------------------
# (license create flags, [(consumptions, expected new total | error code), ...])
# Client-sent allow_overages/max_overages must be ignored: every step sends allow_overages=True,
# max_overages=1000, so a server honouring them would let the over-limit steps through.
CONSUMPTION_CASES = {
    "within-limit-then-exhausted": (
        ["--max-consumptions", 10],
        [(3, 3), (7, 10), (1, "license_not_enough_consumptions"), (1, "license_not_enough_consumptions")]),
    "single-call-over-limit": (
        ["--max-consumptions", 5],
        [(6, "license_not_enough_consumptions"), (5, 5)]),
    "overages-extend-the-limit": (
        ["--max-consumptions", 10, "--max-overages", 2],
        [(11, 11), (1, 12), (1, "license_not_enough_consumptions")]),
    "unlimited": (
        ["--unlimited-consumptions"],
        [(100000, 100000), (1, 100001)]),
    "negative-refused-by-default": (
        ["--max-consumptions", 10],
        [(4, 4), (-1, "negative_consumptions_not_allowed")]),
    "negative-allowed-refund": (
        ["--max-consumptions", 10, "--allow-negative-consumptions"],
        [(5, 5), (-3, 2), (-2, 0), (-1, "negative_consumptions_not_allowed"), (10, 10)]),
    "negative-may-not-go-below-zero": (
        ["--max-consumptions", 10, "--allow-negative-consumptions"],
        [(2, 2), (-3, "negative_consumptions_not_allowed")]),
    "refund-frees-room-at-the-limit": (
        ["--max-consumptions", 3, "--allow-negative-consumptions"],
        [(3, 3), (1, "license_not_enough_consumptions"), (-1, 2), (1, 3)]),
}


@pytest.mark.parametrize("case", list(CONSUMPTION_CASES))
def test_add_consumption(case, api, new_license, product, hwid, show, expect_error):
    flags, steps = CONSUMPTION_CASES[case]
    lic, hw = new_license(product.code, "--type", "consumption", *flags), hwid()
    activated = api.activate_license(**key_id(lic, hw))
    assert activated["license_type"] == "consumption"
    assert activated["total_consumptions"] == 0

    total, previous = 0, None
    for amount, expected in steps:
        if amount == previous:
            next_second()  # the same call again
        previous = amount
        call = dict(**key_id(lic, hw), consumptions=amount, allow_overages=True, max_overages=1000)
        if isinstance(expected, str):
            with expect_error(expected):
                api.add_consumption(**call)
        else:
            resp = api.add_consumption(**call)
            total = expected
            assert resp["id"] == lic["license_id"]
            assert resp["total_consumptions"] == expected, (amount, resp)
            for key in ("max_consumptions", "max_overages"):
                assert isinstance(resp[key], int), resp
            for key in ("allow_unlimited_consumptions", "allow_negative_consumptions", "allow_overages"):
                assert isinstance(resp[key], bool), resp
        assert show(lic)["total_consumptions"] == total, f"after {amount}: server total"

    checked = api.check_license(**key_id(lic, hw))
    assert checked["total_consumptions"] == total


def test_add_consumption_reports_license_settings(api, new_license, product, hwid):
    lic, hw = new_license(product.code, "--type", "consumption", "--max-consumptions", 7, "--max-overages", 3,
                          "--allow-negative-consumptions", "--consumption-period", "daily"), hwid()
    api.activate_license(**key_id(lic, hw))
    resp = api.add_consumption(**key_id(lic, hw), consumptions=2)
    assert resp["id"] == lic["license_id"]
    assert (resp["total_consumptions"], resp["max_consumptions"], resp["max_overages"]) == (2, 7, 3)
    assert (resp["allow_overages"], resp["allow_negative_consumptions"], resp["allow_unlimited_consumptions"]) \
        == (True, True, False)
    assert resp["consumption_period"] == "daily"
    assert resp["reset_consumption"] is True


def test_add_consumption_on_non_consumption_license(api, new_license, product, hwid, expect_error):
    lic, hw = new_license(product.code, "--max-activations", 2), hwid()
    api.activate_license(**key_id(lic, hw))
    with expect_error("license_not_consumption"):
        api.add_consumption(**key_id(lic, hw), consumptions=1)


def test_sdk_local_consumption_then_sync(make_manager, new_license, product, hwid, show):
    lic = new_license(product.code, "--type", "consumption", "--max-consumptions", 20)
    license = make_manager(hwid()).activate_license(LicenseID.from_key(lic["license_key"]))
    assert (license.license_type(), license.max_consumptions(), license.total_consumptions()) == ("consumption", 20, 0)

    license.add_local_consumption(3)
    license.add_local_consumption(4)
    assert license.local_consumptions() == 7
    assert show(lic)["total_consumptions"] == 0  # nothing sent yet

    assert license.sync_consumption() is True
    assert (license.local_consumptions(), license.total_consumptions()) == (0, 7)
    assert show(lic)["total_consumptions"] == 7

    license.add_local_consumption(13)
    assert license.sync_consumption() is True
    assert license.total_consumptions() == 20
    assert show(lic)["total_consumptions"] == 20
    assert license.sync_consumption() is False  # nothing local left: no request


def test_sdk_sync_consumption_refused_by_server(make_manager, new_license, product, hwid, api, show, expect_error):
    """Another device spends the pool; the SDK's stale local view lets it try, the server refuses."""
    lic = new_license(product.code, "--type", "consumption", "--max-consumptions", 5, "--max-activations", 2)
    hw_a, hw_b = hwid(), hwid()
    license = make_manager(hw_a).activate_license(LicenseID.from_key(lic["license_key"]))
    api.activate_license(**key_id(lic, hw_b))
    assert api.add_consumption(**key_id(lic, hw_b), consumptions=4)["total_consumptions"] == 4

    license.add_local_consumption(3)  # local view: 0 + 3 <= 5
    with expect_error("license_not_enough_consumptions"):
        license.sync_consumption()
    assert show(lic)["total_consumptions"] == 4


# ---- add_feature_consumption ------------------------------------------------------------------

FEATURE_CONSUMPTION_CASES = {
    "within-limit-then-exhausted": (
        ["--max-consumptions", 5], [(2, 2), (3, 5), (1, "feature_not_enough_consumptions")]),
    "single-call-over-limit": (
        ["--max-consumptions", 5], [(6, "feature_not_enough_consumptions"), (1, 1)]),
    "overages": (
        ["--max-consumptions", 5, "--max-overages", 2], [(7, 7), (1, "feature_not_enough_consumptions")]),
    "unlimited": (
        ["--unlimited-consumptions"], [(5000, 5000)]),
    "negative-refused-by-default": (
        ["--max-consumptions", 5], [(1, 1), (-1, "negative_consumptions_not_allowed")]),
    "negative-allowed": (
        ["--max-consumptions", 5, "--allow-negative-consumptions"],
        [(4, 4), (-3, 1), (-2, "negative_consumptions_not_allowed")]),
}


@pytest.mark.parametrize("case", list(FEATURE_CONSUMPTION_CASES))
def test_add_feature_consumption(case, api, new_license, feature_product, grant, hwid, show, expect_error):
    flags, steps = FEATURE_CONSUMPTION_CASES[case]
    lic, hw = new_license(feature_product.code), hwid()
    grant(lic, "cons", *flags)
    grant(lic, "fcons", "--max-consumptions", 100)  # a second pool that must stay untouched
    api.activate_license(**key_id(lic, hw))

    total = 0
    for amount, expected in steps:
        call = dict(**key_id(lic, hw), feature="cons", consumptions=amount)
        if isinstance(expected, str):
            with expect_error(expected):
                api.add_feature_consumption(**call)
        else:
            resp = api.add_feature_consumption(**call)
            total = expected
            assert resp["license_id"] == lic["license_id"]
            assert resp["total_consumptions"] == expected, (amount, resp)
            assert isinstance(resp["max_consumptions"], int), resp
        totals = {f["code"]: f["total_consumptions"] for f in show(lic)["features"]}
        assert totals == {"cons": total, "fcons": 0}, f"after {amount}"
    assert show(lic)["total_consumptions"] == 0  # the license's own counter is separate


@pytest.mark.parametrize("feature", ["act", "no-such-feature", "fcons"],
                         ids=["activation-feature", "unknown-feature", "feature-not-granted"])
def test_add_feature_consumption_unsupported(feature, api, new_license, feature_product, grant, hwid, expect_error):
    lic, hw = new_license(feature_product.code), hwid()
    grant(lic, "act")
    grant(lic, "cons", "--max-consumptions", 5)
    api.activate_license(**key_id(lic, hw))
    with expect_error("unsupported_product_feature"):
        api.add_feature_consumption(**key_id(lic, hw), feature=feature, consumptions=1)


def test_sdk_feature_consumption_sync(make_manager, new_license, feature_product, grant, hwid, show):
    lic = new_license(feature_product.code)
    grant(lic, "cons", "--max-consumptions", 10)
    license = make_manager(hwid(), product_code=feature_product.code).activate_license(
        LicenseID.from_key(lic["license_key"]))
    feature = license.get_feature_data("cons")
    assert (feature["feature_type"], feature["max_consumption"], feature["total_consumptions"]) == ("consumption", 10, 0)

    license.add_local_feature_consumption("cons", 4)
    assert license.get_feature_data("cons")["local_consumptions"] == 4
    assert license.sync_feature_consumption("cons") is True
    feature = license.get_feature_data("cons")
    assert (feature["local_consumptions"], feature["total_consumptions"]) == (0, 4)
    assert {f["code"]: f["total_consumptions"] for f in show(lic)["features"]} == {"cons": 4}
    assert license.sync_feature_consumption("cons") is False  # nothing left to send
