"""The SDK's high-level path (LicenseManager / License) end to end, with real signature checks."""

from datetime import datetime

import pytest
from licensespring.licensefile.error import LicenseStateException
from licensespring.licensefile.license_manager import LicenseID

from conftest import ISO_MS_Z, next_second


def test_license_manager_lifecycle(make_manager, make_license, product, hwid, cli, api, expect_error):
    lic, hw = make_license("--max-activations", 2), hwid()
    manager = make_manager(hw)

    # activate
    license = manager.activate_license(LicenseID.from_key(lic["license_key"]))
    assert license.key() == lic["license_key"]
    assert license.id() == lic["license_id"]
    assert license.license_type() == "perpetual"
    assert license.max_activations() == 2
    assert (license.license_active(), license.license_enabled(), license.is_expired()) == (True, True, False)
    assert license.validity_period() is None
    assert cli("license", "show", lic["license_key"])["times_activated"] == 1

    # online check (Py runs check_license_status() afterwards: raises if the server said inactive)
    checked = license.check()
    assert checked["license_key"] == lic["license_key"]
    assert (checked["license_active"], checked["license_enabled"], checked["is_expired"]) == (True, True, False)
    assert checked["times_activated"] == 1

    # product details, stored by the SDK
    details = license.product_details()
    assert details["short_code"] == product.code
    assert license.get_product_details()["short_code"] == product.code

    # device variables: send, then read back from the server
    license.set_device_variables({"ram": "16GB", "edition": "pro"})
    assert license.send_device_variables() is True  # False would mean the SDK swallowed an error
    variables = license.get_device_variables()  # None would mean the SDK swallowed an error
    assert variables is not None
    assert {v["variable"]: v["value"] for v in variables} == {"ram": "16GB", "edition": "pro"}
    for v in variables:  # (the SDK's schema ignores the server's id/device_id)
        assert isinstance(v["created_at"], str) and v["created_at"].endswith("Z")
        assert v["needs_update"] is False
    ram = license.get_device_variable("ram")
    assert isinstance(ram["created_at"], datetime)  # parsed from the server's ISO string
    server_side = api.get_device_variables(product=product.code, license_key=lic["license_key"], hardware_id=hw)
    assert all(ISO_MS_Z.match(v["created_at"]) for v in server_side)

    # deactivate
    license.deactivate()
    assert license.license_active() is False
    assert cli("license", "show", lic["license_key"])["times_activated"] == 0
    [device] = cli("device", "list", "--license", lic["license_key"])["devices"]
    assert (device["hardware_id"], device["active"]) == (hw, False)
    with expect_error("license_not_active"):
        api.check_license(product=product.code, license_key=lic["license_key"], hardware_id=hw)


def test_sdk_check_reacts_to_disabled_license(make_manager, make_license, hwid, cli):
    lic, hw = make_license(), hwid()
    license = make_manager(hw).activate_license(LicenseID.from_key(lic["license_key"]))
    cli("license", "disable", lic["license_key"])

    # server answers license_not_enabled -> SDK flips its cached flag and raises its state error
    with pytest.raises(LicenseStateException):
        license.check()
    assert license.license_enabled() is False


def test_sdk_reactivation_of_active_device_raises_409(make_manager, make_license, hwid, expect_error):
    lic, hw = make_license("--max-activations", 3), hwid()
    manager = make_manager(hw)
    manager.activate_license(LicenseID.from_key(lic["license_key"]))
    next_second()  # the same activation again
    with expect_error("license_device_exists", 409):
        manager.activate_license(LicenseID.from_key(lic["license_key"]))


def test_sdk_parses_time_limited_license(make_manager, make_license, hwid):
    lic = make_license("--type", "time-limited", "--valid-until", "2099-06-30", "--start-date", "2021-01-02")
    license = make_manager(hwid()).activate_license(LicenseID.from_key(lic["license_key"]))
    assert license.license_type() == "time-limited"
    assert license.validity_period() == datetime(2099, 6, 30)
    assert license.start_date() == datetime(2021, 1, 2)
    assert license.check()["validity_period"] == "2099-06-30T00:00:00.000Z"
    assert license.is_expired() is False
