"""Bundles through the SDK's BundleManager: one bundle license comes with one license per included
product; activate, check and deactivate them together, online and through offline files."""

import base64
import json

from licensespring.licensefile.bundle_manager import BundleManager
from licensespring.licensefile.config import Configuration
from licensespring.licensefile.license_manager import LicenseID

from conftest import make_hardware, unique


def _bundle(cli, company, count=2):
    """A bundle product of `count` fresh products: (bundle code, [included codes])."""
    included = []
    for _ in range(count):
        code = unique("e2e-part")
        cli("product", "create", "--company", company.company_id, "--code", code, "--name", code)
        included.append(code)
    code = unique("e2e-bundle")
    out = cli("product", "create", "--company", company.company_id, "--code", code, "--name", code,
              "--bundle", "--includes", ",".join(included))
    assert out["includes"] == included
    return code, included


def _manager(server, company, verifier, tmp_path, product_code, hardware_id):
    return BundleManager(Configuration(
        product=product_code,
        api_key=company.api_key,
        shared_key=company.shared_key,
        api_protocol="http",
        api_domain=server.host_port,
        signature_verifier=verifier,
        hardware_id_provider=make_hardware(hardware_id),
        file_path=str(tmp_path / unique("lsfile")),
    ))


def _licenses_of(cli, company, code):
    return cli("license", "list", "--company", company.company_id, "--product", code)["licenses"]


def test_bundle_manager_activate_check_deactivate(server, company, verifier, tmp_path, cli, hwid, show):
    bundle_code, included = _bundle(cli, company)
    lic = cli("license", "create", "--company", company.company_id, "--product", bundle_code,
              "--max-activations", "2")
    key = lic["license_key"]
    parts = [_licenses_of(cli, company, code) for code in included]
    assert [len(found) for found in parts] == [1, 1]
    assert all(found[0]["license_key"] == key for found in parts)

    manager = _manager(server, company, verifier, tmp_path, bundle_code, hwid())
    activated = manager.activate_bundle(LicenseID.from_key(key))
    assert sorted(activated) == sorted([bundle_code, *included])
    for code, license in activated.items():
        assert license.key() == key
        assert license.license_active() is True
    assert show(lic)["times_activated"] == 1
    for found in parts:
        assert show(found[0])["times_activated"] == 1

    checked = manager.check_bundle(LicenseID.from_key(key))
    assert sorted(checked) == sorted([bundle_code, *included])
    assert all(license.license_active() for license in checked.values())

    manager.deactivate_bundle(LicenseID.from_key(key))
    assert show(lic)["times_activated"] == 0
    for found in parts:
        assert show(found[0])["times_activated"] == 0


def test_bundle_activation_is_all_or_nothing(server, company, verifier, tmp_path, cli, hwid, show, api,
                                             expect_error):
    bundle_code, included = _bundle(cli, company, count=1)
    lic = cli("license", "create", "--company", company.company_id, "--product", bundle_code)
    part = _licenses_of(cli, company, included[0])[0]
    first = hwid()
    # The included product alone is already active on this device: the whole bundle is refused.
    api.activate_license(product=included[0], license_key=lic["license_key"], hardware_id=first)
    manager = _manager(server, company, verifier, tmp_path, bundle_code, first)
    with expect_error("license_device_exists", status=409):
        manager.activate_bundle(LicenseID.from_key(lic["license_key"]))
    assert show(lic)["times_activated"] == 0
    assert show(part)["times_activated"] == 1


def test_bundle_calls_need_a_bundle(api, product, make_license, hwid, expect_error):
    lic, hw = make_license(), hwid()
    with expect_error("unknown_product"):
        api.activate_bundle(product=product.code, license_key=lic["license_key"], hardware_id=hw)
    with expect_error("unknown_product"):
        api.check_bundle(product=product.code, license_key=lic["license_key"], hardware_id=hw)


def _offline_activate(latch, company, request_path, out_path, *extra):
    proc = latch.run("offline", "activate", "--company", company.company_id, "--request", request_path,
                     "--out", out_path, *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(base64.b64decode(out_path.read_text()))


def test_bundle_manager_offline_activation_and_deactivation(server, company, verifier, tmp_path, cli, hwid,
                                                            show, latch):
    bundle_code, included = _bundle(cli, company)
    lic = cli("license", "create", "--company", company.company_id, "--product", bundle_code)
    key, hw = lic["license_key"], hwid()
    parts = [_licenses_of(cli, company, code)[0] for code in included]
    manager = _manager(server, company, verifier, tmp_path, bundle_code, hw)

    request = manager.create_offline_activation_file(LicenseID.from_key(key), str(tmp_path / "bundle-req"))
    file = _offline_activate(latch, company, request, tmp_path / "bundle.lic")
    # The Python shape: the bundle's own license first, each with the request's id, and the bundle signature.
    assert [entry["product_details"]["short_code"] for entry in file["licenses"]] == [bundle_code, *included]
    assert len({entry["request_id"] for entry in file["licenses"]}) == 1
    assert all((entry["license_key"], entry["hardware_id"]) == (key, hw) for entry in file["licenses"])
    assert isinstance(file["bundle_signature_v2"], str) and file["bundle_signature_v2"]

    activated = manager.activate_bundle_offline(str(tmp_path / "bundle.lic"))
    assert sorted(activated) == sorted([bundle_code, *included])
    assert all(license.license_active() and license.key() == key for license in activated.values())
    for found in (lic, *parts):
        assert show(found)["times_activated"] == 1
    [event] = cli("events", "--company", company.company_id, "--license", parts[0]["license_id"],
                  "--event", "license.activated")["events"]
    assert event["data"]["offline"] is True

    deactivation = manager.deactivate_bundle_offline(LicenseID.from_key(key), str(tmp_path / "bundle-deact"))
    proc = latch.run("offline", "deactivate", "--company", company.company_id, "--request", deactivation)
    assert proc.returncode == 0, proc.stderr
    for found in (lic, *parts):
        assert show(found)["times_activated"] == 0


def test_offline_bundle_file_shape_can_be_forced(server, company, verifier, tmp_path, cli, hwid, latch):
    bundle_code, included = _bundle(cli, company, count=1)
    lic = cli("license", "create", "--company", company.company_id, "--product", bundle_code)
    manager = _manager(server, company, verifier, tmp_path, bundle_code, hwid())
    request = manager.create_offline_activation_file(LicenseID.from_key(lic["license_key"]),
                                                     str(tmp_path / "bundle-req"))
    file = _offline_activate(latch, company, request, tmp_path / "bundle.lic", "--format", "node")
    assert list(file) == [bundle_code, *included]
    assert all(file[code]["product_details"]["short_code"] == code for code in file)
