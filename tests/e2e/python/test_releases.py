"""GET /versions, GET /installation_file and product_details(include_latest_version)."""

from types import SimpleNamespace

import pytest
from licensespring.licensefile.license_manager import LicenseID

from conftest import ISO_MS_Z, key_id

# version -> add-release flags. 2.0.0 is the newest (latest release date, highest version, added last).
RELEASES = {
    "1.0.0": ["--release-date", "2024-01-10", "--hash-md5", "0123456789abcdef0123456789abcdef", "--size", "1024",
              "--eula-link", "https://example.com/eula", "--release-notes-link", "https://example.com/notes/1.0.0"],
    "1.5.0": ["--release-date", "2024-03-01", "--environment", "win64"],
    "1.6.0": ["--release-date", "2024-04-01", "--channel", "beta"],
    "2.0.0": ["--release-date", "2024-06-01", "--requires-version", "1.0.0"],
}


def url(version):
    return f"https://downloads.example.com/app-{version}.zip"


@pytest.fixture
def released_product(make_product, cli, company):
    prod = make_product()
    for version, flags in RELEASES.items():
        out = cli("product", "add-release", "--company", company.company_id, "--product", prod.code,
                  "--version", version, "--url", url(version), *flags)
        assert out["version"] == version, out
    return prod


@pytest.fixture
def active(released_product, new_license, api, hwid):
    """An activated license of released_product: (lic, hw)."""
    lic, hw = new_license(released_product.code, "--max-activations", 2), hwid()
    api.activate_license(**key_id(lic, hw))
    return lic, hw


def _versions(listing):
    for item in listing:
        assert set(item) >= {"version", "release_date"}, item
        assert item["release_date"] is None or ISO_MS_Z.match(item["release_date"]), item
    return sorted(item["version"] for item in listing)


@pytest.mark.parametrize("env, channel, expected", [
    (None, None, ["1.0.0", "1.5.0", "1.6.0", "2.0.0"]),
    ("win64", None, ["1.0.0", "1.5.0", "1.6.0", "2.0.0"]),
    ("linux", None, ["1.0.0", "1.6.0", "2.0.0"]),
    (None, "beta", ["1.0.0", "1.5.0", "1.6.0", "2.0.0"]),
    (None, "stable", ["1.0.0", "1.5.0", "2.0.0"]),
    ("linux", "stable", ["1.0.0", "2.0.0"]),
], ids=["all", "env-win64", "env-linux", "channel-beta", "channel-stable", "linux-stable"])
def test_versions_filtered(env, channel, expected, active, api):
    lic, hw = active
    assert _versions(api.versions(**key_id(lic, hw), env=env, channel=channel)) == expected


def test_versions_release_dates(active, api):
    lic, hw = active
    dates = {v["version"]: v["release_date"] for v in api.versions(**key_id(lic, hw))}
    assert dates["1.0.0"] == "2024-01-10T00:00:00.000Z"
    assert dates["2.0.0"] == "2024-06-01T00:00:00.000Z"


def test_installation_file(active, api):
    lic, hw = active
    info = api.installation_file(**key_id(lic, hw), version="1.0.0")
    assert (info["version"], info["installation_file"]) == ("1.0.0", url("1.0.0"))
    assert info["hash_md5"] == "0123456789abcdef0123456789abcdef"
    assert str(info["size"]) == "1024"
    assert (info["eula_link"], info["release_notes_link"]) == ("https://example.com/eula",
                                                               "https://example.com/notes/1.0.0")
    assert info["release_date"] == "2024-01-10T00:00:00.000Z"

    other = api.installation_file(**key_id(lic, hw), version="2.0.0")
    assert (other["installation_file"], other["requires_version"]) == (url("2.0.0"), "1.0.0")
    beta = api.installation_file(**key_id(lic, hw), version="1.6.0", channel="beta")
    assert (beta["installation_file"], beta["channel"]) == (url("1.6.0"), "beta")


@pytest.mark.parametrize("version, env, channel", [
    ("9.9.9", None, None),
    ("1.5.0", "linux", None),  # exists, but only for win64
], ids=["unknown-version", "filtered-out-by-env"])
def test_installation_file_version_not_found(version, env, channel, active, api, expect_error):
    lic, hw = active
    with expect_error("version_not_found"):
        api.installation_file(**key_id(lic, hw), version=version, env=env, channel=channel)


def _never_activated(w):
    return key_id(w.new_license(w.prod.code), w.hwid())


def _deactivated(w):
    lic, hw = w.new_license(w.prod.code), w.hwid()
    w.api.activate_license(**key_id(lic, hw))
    w.api.deactivate_license(**key_id(lic, hw))
    return key_id(lic, hw)


def _disabled(w):
    lic, hw = w.new_license(w.prod.code), w.hwid()
    w.api.activate_license(**key_id(lic, hw))
    w.cli("license", "disable", "--id", lic["license_id"])
    return key_id(lic, hw)


def _other_device(w):
    lic = w.new_license(w.prod.code, "--max-activations", 2)
    w.api.activate_license(**key_id(lic, w.hwid()))
    return key_id(lic, w.hwid())


@pytest.mark.parametrize("endpoint", ["versions", "installation_file"])
@pytest.mark.parametrize("scenario", [_never_activated, _deactivated, _disabled, _other_device],
                         ids=lambda f: f.__name__.strip("_"))
def test_active_license_required(scenario, endpoint, released_product, new_license, api, hwid, cli, expect_error):
    ident = scenario(SimpleNamespace(prod=released_product, new_license=new_license, api=api, hwid=hwid, cli=cli))
    with expect_error("active_license_required"):
        if endpoint == "versions":
            api.versions(**ident)
        else:
            api.installation_file(**ident, version="1.0.0")


def test_sdk_version_list_and_installation_file(released_product, active, make_manager):
    lic, hw = active
    manager = make_manager(hw, product_code=released_product.code)
    license_id = LicenseID.from_key(lic["license_key"])
    assert _versions(manager.get_version_list(license_id, env="linux", channel="stable")) == ["1.0.0", "2.0.0"]
    info = manager.get_installation_file(license_id, version="2.0.0")
    assert (info["version"], info["installation_file"]) == ("2.0.0", url("2.0.0"))


def test_product_details_latest_version(released_product, make_product, api, make_manager, hwid):
    details = api.product_details(product=released_product.code, include_latest_version=True)
    latest = details["latest_version"]
    assert (latest["version"], latest["full_link"]) == ("2.0.0", url("2.0.0"))
    assert latest["release_date"] == "2024-06-01T00:00:00.000Z"
    assert latest["requires_version"] == "1.0.0"

    assert "latest_version" not in api.product_details(product=released_product.code)  # only when asked

    bare = make_product()
    assert api.product_details(product=bare.code, include_latest_version=True)["latest_version"] is None

    via_sdk = make_manager(hwid(), product_code=released_product.code).get_product_details(include_latest_version=True)
    assert via_sdk["latest_version"]["version"] == "2.0.0"
