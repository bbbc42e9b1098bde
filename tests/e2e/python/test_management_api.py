"""The Management API v1 driven over plain HTTP, as a vendor's store or CRM integration calls it, with
the official SDK on the device side: orders issue licenses the SDK activates, and what the vendor
changes (disable, reset, device reset and blacklist) is what the SDK sees next."""

import pytest
import requests
from licensespring.api.error import ClientError
from licensespring.licensefile.license_manager import LicenseID

from conftest import next_second, unique


class Management:
    """A Management API client holding one key."""

    def __init__(self, server, key):
        self.base = f"{server.url}/api/v1/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Api-Key {key}"

    def call(self, method, path, status, **kwargs):
        response = self.session.request(method, self.base + path, timeout=30, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content and "json" in response.headers["Content-Type"] else None

    def get(self, path, status=200, **params):
        return self.call("GET", path, status, params=params)

    def post(self, path, body=None, status=200):
        return self.call("POST", path, status, json=body if body is not None else {})

    def all_pages(self, path, **params):
        """Every result of a list, following its `next` links."""
        results, page = [], self.get(path, **params)
        while True:
            results += page["results"]
            if not page["next"]:
                return results
            response = self.session.get(page["next"], timeout=30)
            assert response.status_code == 200, response.text
            page = response.json()


def management_key(cli, company):
    return cli("management-key", "create", "--company", company.company_id)["key"]


@pytest.fixture(scope="module")
def vendor(server, cli, company):
    return Management(server, management_key(cli, company))


def place_order(vendor, product, licenses):
    store_id = unique("order")
    order = {
        "id": store_id,
        "customer": {"email": f"{store_id}@example.com", "first_name": "Ada"},
        "items": [{"product_code": product.code, "licenses": licenses}],
    }
    created = vendor.post("orders/create_order/", order, status=201)
    return store_id, created["licenses"]


def test_the_store_flow_order_disable_reset(vendor, product, make_manager, api, hwid, expect_error):
    _, licenses = place_order(vendor, product, [{"max_activations": 1}, {"max_activations": 1}])
    first, second = licenses
    hardware = hwid()
    license = make_manager(hardware).activate_license(LicenseID.from_key(first["license_key"]))
    assert license.license_active()

    vendor.post("licenses/disable_bulk/", [first["id"], second["id"]])
    with expect_error("license_not_enabled"):
        api.check_license(product=product.code, license_key=first["license_key"], hardware_id=hardware)
    assert vendor.get(f"licenses/{first['id']}/")["status"] == "Disabled"

    vendor.post(f"licenses/{first['id']}/enable/")
    vendor.post(f"licenses/{first['id']}/reset/")
    shown = vendor.get(f"licenses/{first['id']}/")
    assert (shown["times_activated"], shown["total_active_devices"]) == (0, 0)
    assert vendor.get("devices/", license=first["id"], device_active="true")["count"] == 0
    # The seat is free again: a new device takes it.
    other = make_manager(hwid()).activate_license(LicenseID.from_key(first["license_key"]))
    assert other.license_active()


def test_device_reset_and_blacklist_reach_the_sdk(vendor, product, make_manager, api, hwid, expect_error):
    _, [issued] = place_order(vendor, product, [{"max_activations": 1}])
    key, hardware = issued["license_key"], hwid()
    make_manager(hardware).activate_license(LicenseID.from_key(key))
    [device] = vendor.get("devices/", license=issued["id"], hardware_id=hardware)["results"]

    vendor.post(f"devices/{device['id']}/reset/")
    with pytest.raises(ClientError):
        api.check_license(product=product.code, license_key=key, hardware_id=hardware)
    # Its activation was given back: another device activates on the one-seat license.
    make_manager(hwid()).activate_license(LicenseID.from_key(key))

    vendor.post(f"devices/{device['id']}/blacklist/")
    next_second()  # the same signed activation within one second would be answered as a replay
    with pytest.raises(ClientError) as refused:
        api.activate_license(product=product.code, license_key=key, hardware_id=hardware)
    assert (refused.value.status, refused.value.code) == (400, "blacklisted")


def test_list_filters_and_pages_return_exactly_the_orders_licenses(vendor, product):
    store_id, licenses = place_order(vendor, product, [{} for _ in range(230)])
    issued = {license["id"] for license in licenses}
    assert len(issued) == 230

    found = vendor.all_pages("licenses/", order__store_id=store_id, limit=100)
    assert [license["id"] for license in found] == sorted(issued, reverse=True)
    prefix = licenses[0]["license_key"][:4]
    by_prefix = vendor.all_pages("licenses/", order__store_id=store_id, license_key__startswith=prefix)
    assert {license["id"] for license in by_prefix} == {
        license["id"] for license in licenses if license["license_key"].startswith(prefix)
    }
    page = vendor.get("licenses/", order__store_id=store_id, limit=1000)
    assert (page["count"], len(page["results"])) == (230, 100)


def test_another_companys_key_finds_none_of_these_ids(server, vendor, product, cli, other_company):
    _, [issued] = place_order(vendor, product, [{}])
    order = vendor.get("orders/", store_id__startswith="order-", limit=1)["results"][0]
    outsider = Management(server, management_key(cli, other_company))
    for path in [f"licenses/{issued['id']}/", f"orders/{order['id']}/", f"products/{product.product_id}/"]:
        assert outsider.get(path, status=404) == {"detail": "Not found."}
    outsider.post(f"licenses/{issued['id']}/disable/", status=404)
    assert vendor.get(f"licenses/{issued['id']}/")["enabled"] is True
