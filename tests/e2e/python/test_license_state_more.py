"""The identity/state codes shared by every device-bound endpoint (spec §2.6-2.12), for the
consumption, feature and floating endpoints, through APIClient (exact codes)."""

from types import SimpleNamespace

import pytest

from conftest import key_id

LICENSE_FLAGS = ["--type", "consumption", "--max-consumptions", 10, "--floating-users", 3,
                 "--max-borrow-time", 24, "--max-activations", 3]

ENDPOINTS = {
    "add_consumption": lambda api, i: api.add_consumption(**i, consumptions=1),
    "add_feature_consumption": lambda api, i: api.add_feature_consumption(**i, feature="cons", consumptions=1),
    "check_license_feature": lambda api, i: api.check_license_feature(**i, feature="flt"),
    "floating_release": lambda api, i: api.floating_release(**i),
    "floating_borrow": lambda api, i: api.floating_borrow(**i, borrowed_until=None),
    "feature_borrow": lambda api, i: api.borrow_license_feature(**i, feature="flt", borrowed_until=None),
    "feature_release": lambda api, i: api.floating_feature_release(**i, feature="flt"),
}


@pytest.fixture
def w(new_license, feature_product, grant, api, hwid, cli):
    def fresh():
        lic = new_license(feature_product.code, *LICENSE_FLAGS)
        grant(lic, "cons", "--max-consumptions", 10)
        grant(lic, "flt", "--floating-users", 2, "--max-borrow-time", 24)
        return lic

    def activate(lic, hw):
        api.activate_license(**key_id(lic, hw))

    return SimpleNamespace(fresh=fresh, activate=activate, api=api, hwid=hwid, cli=cli)


def _unknown_product(w):
    lic, hw = w.fresh(), w.hwid()
    w.activate(lic, hw)
    return {**key_id(lic, hw), "product": "no-such-product-xyz"}


def _unknown_key(w):
    return key_id({**w.fresh(), "license_key": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, w.hwid())


def _never_activated(w):
    return key_id(w.fresh(), w.hwid())


def _other_device(w):
    lic = w.fresh()
    w.activate(lic, w.hwid())
    return key_id(lic, w.hwid())


def _disabled(w):
    lic, hw = w.fresh(), w.hwid()
    w.activate(lic, hw)
    w.cli("license", "disable", "--id", lic["license_id"])
    return key_id(lic, hw)


def _blacklisted(w):
    lic, hw = w.fresh(), w.hwid()
    w.activate(lic, hw)
    w.cli("device", "blacklist", "--license-id", lic["license_id"], "--hardware-id", hw)
    return key_id(lic, hw)


SCENARIOS = {
    "unknown_product": (_unknown_product, "unknown_product"),
    "unknown_key": (_unknown_key, "license_not_found"),
    "never_activated": (_never_activated, "license_not_active"),
    "other_device": (_other_device, "device_not_found"),
    "disabled": (_disabled, "license_not_enabled"),
    "blacklisted": (_blacklisted, "blacklisted"),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_state_error(scenario, endpoint, w, expect_error):
    prepare, code = SCENARIOS[scenario]
    identity = prepare(w)
    with expect_error(code):
        ENDPOINTS[endpoint](w.api, identity)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_same_calls_succeed_on_a_healthy_license(endpoint, w):
    """Control for the table above: the very same calls pass once the device is active."""
    lic, hw = w.fresh(), w.hwid()
    w.activate(lic, hw)
    if endpoint == "feature_release":
        w.api.check_license_feature(**key_id(lic, hw), feature="flt")  # take the feature seat first
    ENDPOINTS[endpoint](w.api, key_id(lic, hw))
