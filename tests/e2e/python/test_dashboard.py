"""The vendor dashboard in headless Chromium (Debian's `chromium`, driven by Playwright without a
browser download), against the session's `latch serve` (webhooks: against a server of their own that
may deliver to a local receiver): staff sign in, find licenses, act on them, and the official SDK
sees the effect at once. Screenshots of each screen go to
target/dashboard-screenshots/.

Skipped, with a message, when no chromium binary is found (CI installs it: see .ci/run).
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO, header, unique

CHROMIUM = next(
    (found for name in (os.environ.get("LATCH_CHROMIUM"), "chromium", "chromium-browser")
     if name and (found := shutil.which(name))),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (apt-get install chromium, or set LATCH_CHROMIUM); "
    "the dashboard's browser tests need one",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SCREENSHOTS = REPO / "target" / "dashboard-screenshots"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def staff(cli, company):
    """staff(role, company=None) -> a new member's e-mail address."""

    def add(role, of=None):
        email = f"{unique(role)}@example.com"
        cli("staff", "add", "--company", (of or company).company_id, "--email", email,
            "--password", PASSWORD, "--role", role)
        return email

    return add


@pytest.fixture
def sign_in(browser, server):
    """sign_in(email, on=None) -> a page of a fresh browser context, signed in to `on` (a server;
    the session's by default)."""
    contexts = []

    def open_page(email, on=None):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{(on or server).url}/dashboard/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def navigate(page, screen):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=screen, exact=True).click()


def open_license(page, search, key):
    navigate(page, "Licenses")
    page.get_by_label("Search").fill(search)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=key).click()
    expect(page.get_by_role("heading", name=f"License {key}")).to_be_visible()


def test_a_failed_sign_in_says_so(browser, server, staff):
    email = staff("viewer")
    page = browser.new_page()
    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email, password or authentication code")
    screenshot(page, "sign-in")
    page.close()


def test_support_finds_a_license_by_key_and_email_disables_and_enables_it(
        sign_in, staff, cli, company, product, make_license, api, hwid, expect_error):
    customer = f"{unique('buyer')}@example.com"
    cli("customer", "create", "--company", company.company_id, "--email", customer)
    key = make_license("--customer", customer)["license_key"]
    hw = hwid()
    api.activate_license(product=product.code, license_key=key, hardware_id=hw)
    page = sign_in(staff("support"))
    screenshot(page, "overview")

    open_license(page, customer, key)
    open_license(page, key, key)
    expect(page.get_by_text(hw, exact=True)).to_be_visible()
    screenshot(page, "license")

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("License disabled")
    with expect_error("license_not_enabled"):
        api.check_license(product=product.code, license_key=key, hardware_id=hw)

    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_contain_text("License enabled")
    api.check_license(product=product.code, license_key=key, hardware_id=hw)

    navigate(page, "Licenses")
    screenshot(page, "licenses")
    for screen, name in [("Devices", "devices"), ("Customers", "customers"), ("Products", "products"),
                         ("Event log", "events"), ("License users", "license-users")]:
        navigate(page, screen)
        expect(page.get_by_role("heading", name=screen)).to_be_visible()
        screenshot(page, name)


def test_an_admin_issues_a_license_the_sdk_activates(sign_in, staff, product, api, hwid):
    page = sign_in(staff("admin"))
    navigate(page, "Issue licenses")
    page.get_by_label("Product").select_option(product.code)
    page.get_by_label("Customer email").fill(f"{unique('order')}@example.com")
    page.get_by_label("License type").select_option("perpetual")
    page.get_by_label("Max activations").fill("2")
    page.get_by_label("Count").fill("2")
    screenshot(page, "issue")
    page.get_by_role("button", name="Issue licenses").click()
    expect(page.get_by_role("status")).to_contain_text("2 licenses issued")
    expect(page.get_by_role("link", name="Download keys as CSV")).to_be_visible()
    screenshot(page, "issued")
    key = page.locator("tbody code").first.inner_text()
    activated = api.activate_license(product=product.code, license_key=key, hardware_id=hwid())
    assert activated["license_key"] == key


def test_a_released_floating_seat_goes_to_another_device(
        sign_in, staff, product, make_license, api, hwid):
    key = make_license("--floating-users", "1", "--max-activations", "5")["license_key"]
    first, second = hwid(), hwid()
    api.activate_license(product=product.code, license_key=key, hardware_id=first)
    with pytest.raises(Exception):
        api.activate_license(product=product.code, license_key=key, hardware_id=second)

    page = sign_in(staff("support"))
    open_license(page, key, key)
    seat = page.get_by_role("row").filter(has_text=first).filter(
        has=page.get_by_role("button", name="Release"))
    seat.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status")).to_contain_text("Seat released")
    api.activate_license(product=product.code, license_key=key, hardware_id=second)


def test_a_viewer_sees_no_actions_and_a_forged_post_is_refused(
        sign_in, staff, make_license, server):
    key = make_license()["license_key"]
    page = sign_in(staff("viewer"))
    open_license(page, key, key)
    expect(page.get_by_role("button", name="Disable")).to_have_count(0)
    license_path = page.url.removeprefix(server.url).split("?")[0]
    token = page.locator("input[name=csrf_token]").first.input_value()
    forged = page.request.post(f"{server.url}{license_path}/disable", form={"csrf_token": token})
    assert forged.status == 403
    without_token = page.request.post(f"{server.url}{license_path}/disable", form={})
    assert without_token.status == 403


def test_an_action_without_the_csrf_token_is_refused(
        sign_in, staff, make_license, server, product, api, hwid):
    key = make_license()["license_key"]
    hw = hwid()
    api.activate_license(product=product.code, license_key=key, hardware_id=hw)
    page = sign_in(staff("support"))
    open_license(page, key, key)
    license_path = page.url.removeprefix(server.url).split("?")[0]
    for form in [{}, {"csrf_token": "forged"}]:
        answer = page.request.post(f"{server.url}{license_path}/disable", form=form)
        assert answer.status == 403, answer.text()
    api.check_license(product=product.code, license_key=key, hardware_id=hw)


def test_another_companys_staff_get_404(sign_in, staff, other_company, make_license, server):
    key = make_license()["license_key"]
    owner = sign_in(staff("viewer"))
    open_license(owner, key, key)
    license_url = owner.url.split("?")[0]
    intruder = sign_in(staff("admin", of=other_company))
    answer = intruder.goto(license_url)
    assert answer.status == 404
    expect(intruder.get_by_role("alert")).to_contain_text("another company")


def test_an_admin_adds_a_feature_to_a_product_and_the_sdk_sees_it(
        sign_in, staff, cli, company, api, hwid):
    code = unique("feat")
    cli("product", "create", "--company", company.company_id, "--code", code, "--name", code)
    page = sign_in(staff("admin"))
    navigate(page, "Products")
    expect(page.get_by_role("link", name="New product")).to_be_visible()
    screenshot(page, "products-admin")
    page.get_by_role("link", name=code, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)

    add = page.locator("form").filter(has=page.get_by_role("button", name="Add feature"))
    add.get_by_label("Code (what apps check the feature by)").fill("export")
    add.get_by_label("Name", exact=True).fill("Export")
    add.get_by_label("Type", exact=True).select_option("consumption")
    add.get_by_label("Max consumptions (consumption features)").fill("5")
    add.get_by_label("Metadata (a JSON object, sent to apps)").fill("{not json")
    add.get_by_role("button", name="Add feature").click()
    # Refused: the alert says why, beside the form, and what was typed is still there.
    expect(page.get_by_role("alert")).to_contain_text("metadata: is not JSON")
    add = page.locator("form").filter(has=page.get_by_role("button", name="Add feature"))
    expect(add.get_by_label("Name", exact=True)).to_have_value("Export")
    expect(add.get_by_label("Max consumptions (consumption features)")).to_have_value("5")
    screenshot(page, "product-refused")

    add.get_by_label("Metadata (a JSON object, sent to apps)").fill('{"plan": "pro"}')
    add.get_by_role("button", name="Add feature").click()
    expect(page.get_by_role("status")).to_contain_text("Feature added to the product.")
    features = page.locator("table").filter(has_text="Max consumptions").first
    expect(features.get_by_role("cell", name="export", exact=True)).to_be_visible()
    screenshot(page, "product")

    # A license of the product is granted the new feature, and the SDK sees it with its limit.
    key = cli("license", "create", "--company", company.company_id, "--product", code)["license_key"]
    cli("license", "add-feature", "--company", company.company_id, "--license", key,
        "--feature", "export", "--max-consumptions", "5")
    activated = api.activate_license(product=code, license_key=key, hardware_id=hwid())
    granted = {feature["code"]: feature for feature in activated["product_features"]}
    assert granted["export"]["feature_type"] == "consumption"
    assert granted["export"]["max_consumption"] == 5


def test_an_admin_imports_licenses_and_follows_the_progress_to_the_report(
        sign_in, staff, product, api, hwid, tmp_path):
    prefix = unique("IMP").upper()
    rows = [f"{product.code},{prefix}-{n:04},2,buyer-{n % 5}@example.com" for n in range(400)]
    rows += [f"no-such-product,{prefix}-BAD1,1,", f"{product.code},{prefix}-BAD2,two,"]
    path = tmp_path / "licenses.csv"
    path.write_text("product,license_key,max_activations,customer_email\n" + "\n".join(rows) + "\n")

    page = sign_in(staff("admin"))
    navigate(page, "Settings")
    page.get_by_role("link", name="Import licenses from a CSV file").click()
    expect(page.get_by_role("heading", name="Import licenses")).to_be_visible()
    expect(page.get_by_role("cell", name="customer_email", exact=True)).to_be_visible()
    screenshot(page, "import-form")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Import licenses").click()

    expect(page.get_by_role("heading", name="Import of licenses.csv")).to_be_visible()
    progress = page.get_by_role("progressbar", name="Rows processed")
    expect(progress).to_have_attribute("max", "402")
    # The bar follows the import while it runs; the page then shows the report.
    expect(page.get_by_role("status")).to_contain_text(
        "Import finished: 400 licenses imported, 2 rows refused.", timeout=180_000)
    expect(progress).to_have_attribute("value", "402")
    expect(page.locator("#import-counts")).to_contain_text("100%")
    refused = page.get_by_role("table")
    expect(refused).to_contain_text('No product with code "no-such-product".')
    expect(refused).to_contain_text('"two" is not a whole number.')
    screenshot(page, "import")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    report = Path(download.value.path()).read_text().splitlines()
    assert report[0] == "row,column,message"
    assert [line.split(",")[:2] for line in report[1:]] == [["402", "product"], ["403", "max_activations"]]

    key = f"{prefix}-0007"
    activated = api.activate_license(product=product.code, license_key=key, hardware_id=hwid())
    assert activated["license_key"] == key
    assert activated["max_activations"] == 2


def refusal_count(page, code):
    """The overview's count of refusals with `code` in the last 7 days; 0 when it has none."""
    row = page.locator("#refusals tbody tr").filter(has=page.get_by_role("cell", name=code, exact=True))
    return int(row.get_by_role("cell").nth(1).inner_text()) if row.count() else 0


def test_an_admin_sets_up_a_customer_account_and_a_refused_activation_reaches_the_overview(
        sign_in, staff, product, api, hwid, expect_error):
    code = unique("acct")
    secret = unique("client-secret")
    page = sign_in(staff("admin"))
    navigate(page, "Customer accounts")
    page.get_by_role("link", name="New customer account").click()
    page.get_by_label("Name").fill("Initech")
    page.get_by_label("Code (what apps send as customer_account_code)").fill(code)
    page.get_by_label("Issuer URL").fill("https://login.initech.example/realms/staff")
    page.get_by_label("Client id").fill("latch-e2e")
    page.get_by_label("Client secret").fill(secret)
    page.get_by_label("Redirect URIs (one per line)").fill("myapp://callback")
    screenshot(page, "customer-account-new")
    page.get_by_role("button", name="Create customer account").click()
    expect(page.get_by_role("status")).to_contain_text("Customer account created.")
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()
    assert secret not in page.content()
    screenshot(page, "customer-account")

    navigate(page, "Customer accounts")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=code, exact=True))
    expect(row.get_by_role("cell", name="yes", exact=True)).to_be_visible()
    screenshot(page, "customer-accounts")

    navigate(page, "Overview")
    before = refusal_count(page, "license_not_found")
    with expect_error("license_not_found"):
        api.activate_license(product=product.code, license_key="NO-SUCH-KEY-E2E", hardware_id=hwid())
    # The refusal is counted behind the request: reload until the overview has it.
    deadline = time.monotonic() + 60
    while refusal_count(page, "license_not_found") != before + 1:
        assert time.monotonic() < deadline, f"the refusal never reached the overview: {page.content()}"
        page.wait_for_timeout(250)
        page.reload()
    screenshot(page, "overview-refusals")


def reload_until_visible(page, locator, timeout=10.0):
    """Reloads the page until `locator` shows: deliveries are sent and logged in the background."""
    deadline = time.monotonic() + timeout
    while not locator.is_visible():
        assert time.monotonic() < deadline, f"{locator} never showed on {page.url}"
        time.sleep(0.2)
        page.reload()


def test_an_admin_adds_a_webhook_endpoint_sees_a_delivery_and_retries_it(sign_in, webhook_world):
    latch, company, product, receiver, server = webhook_world
    email = f"{unique('admin')}@example.com"
    latch.cli("staff", "add", "--company", company.company_id, "--email", email,
              "--password", PASSWORD, "--role", "admin")
    key = latch.cli("license", "create", "--company", company.company_id,
                    "--product", product.code)["license_key"]
    page = sign_in(email, on=server)

    navigate(page, "Webhooks")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    page.get_by_label("URL (https)").fill(receiver.url)
    page.get_by_label("Description").fill("Billing")
    page.get_by_label("*", exact=True).uncheck()
    page.get_by_label("license.*", exact=True).check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("Copy the signing secret now")
    assert page.locator("code.secret").inner_text().startswith("whsec_")
    page.get_by_role("link", name="Back to webhooks").click()
    expect(page.get_by_role("link", name=receiver.url)).to_be_visible()
    expect(page.get_by_text("whsec_")).to_have_count(0)
    screenshot(page, "webhooks")

    # Disabling a license in the dashboard is a license.* event.
    open_license(page, key, key)
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("License disabled")
    headers, _ = receiver.wait_for("license.updated")

    navigate(page, "Webhooks")
    page.get_by_role("link", name=receiver.url).click()
    reload_until_visible(page, page.get_by_role("cell", name="HTTP 204"))
    expect(page.get_by_role("cell", name="succeeded")).to_be_visible()
    screenshot(page, "webhook-deliveries")

    page.get_by_role("link", name="license.updated").click()
    event_id = header(headers, "webhook-id")
    expect(page.get_by_text(event_id, exact=True)).to_be_visible()
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("Delivery queued to be sent again now")
    again, _ = receiver.wait_for("license.updated", count=2)
    assert header(again, "webhook-id") == event_id
    reload_until_visible(page, page.get_by_role("cell", name="204", exact=True).nth(1))
    screenshot(page, "webhook-delivery")
