"""End-to-end fixtures: a real `latch` binary, driven through its CLI and the official
LicenseSpring Python SDK (licensespring 4.0.0).

One server per test session, on its own temporary data directory. Every test creates its
own licenses and hardware ids, so tests do not depend on each other or on ordering.

Environment:
  LATCH_BIN                 path to the binary (default: <repo>/target/debug/latch)
  LATCH_TEST_DATABASE_URL   optional (postgres://...); passed to every CLI call and the server as
                            LATCH_DATABASE_URL, with a fresh LATCH_DATABASE_SCHEMA (e2e_py_<hex>) per session
"""

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from licensespring.api import APIClient
from licensespring.api.error import ClientError
from licensespring.api.signature import SignatureVerifier
from licensespring.hardware import HardwareIdProvider
from licensespring.licensefile.config import Configuration
from licensespring.licensefile.license_manager import LicenseManager

REPO = Path(__file__).resolve().parents[3]
LATCH_BIN = os.environ.get("LATCH_BIN", str(REPO / "target" / "debug" / "latch"))

STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 5.0
CLI_TIMEOUT = 30.0

# ISO-8601 UTC with milliseconds and Z, as the SDKs expect (spec §3, §7.1).
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def next_second():
    """Waits for the next wall-clock second. Latch answers a signed request identical to one it already
    answered successfully with the same `Date` (one-second resolution) as a replay, without running it
    again; a test that deliberately repeats a call waits for a new `Date` first, as a real client would."""
    time.sleep(1.01 - time.time() % 1)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------
# SDK plumbing: signature verifier and hardware-id provider are *classes* for the SDK.
# --------------------------------------------------------------------------------------

def make_verifier(public_key_pem):
    """A SignatureVerifier subclass that checks responses against `public_key_pem`."""
    return type("LatchSignatureVerifier", (SignatureVerifier,), {"PUBLIC_KEY": public_key_pem})


def make_hardware(hardware_id, hostname="e2e-host", os_ver="E2E-OS 1.0"):
    """A HardwareIdProvider with fixed values. `get_id` is usable bound and unbound
    (DataStorage calls it unbound with itself as `self`)."""

    class FixedHardware(HardwareIdProvider):
        def get_id(*_args):
            return hardware_id

        def get_ip(self):
            return "127.0.0.1"

        def get_hostname(self):
            return hostname

        def get_os_ver(self):
            return os_ver

        def get_mac_address(self):
            return "02:00:00:00:00:01"

    return FixedHardware


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------

class CliError(AssertionError):
    pass


class Latch:
    """The binary plus the environment pointing it at one data location."""

    def __init__(self, data_dir):
        self.data_dir = Path(data_dir)
        self.env = dict(os.environ)
        self.env["LATCH_DATA_DIR"] = str(self.data_dir)
        self.env.pop("LATCH_DATABASE_URL", None)
        self.env.pop("LATCH_DATABASE_SCHEMA", None)
        if os.environ.get("LATCH_TEST_DATABASE_URL"):
            # one schema per session (the server creates it); CLI and server share it
            self.env["LATCH_DATABASE_URL"] = os.environ["LATCH_TEST_DATABASE_URL"]
            self.env["LATCH_DATABASE_SCHEMA"] = f"e2e_py_{uuid.uuid4().hex}"

    def run(self, *args):
        return subprocess.run(
            [LATCH_BIN, *map(str, args)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )

    def cli(self, *args):
        """Run `latch ARGS --json`, assert success, return the single JSON object printed."""
        proc = self.run(*args, "--json")
        if proc.returncode != 0:
            raise CliError(
                f"latch {' '.join(map(str, args))} --json exited {proc.returncode}: {proc.stderr.strip()}"
            )
        try:
            out = json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            raise CliError(f"latch {' '.join(map(str, args))} --json printed non-JSON {proc.stdout!r}") from e
        assert isinstance(out, dict), f"expected one JSON object, got {out!r}"
        return out


@dataclass
class Server:
    url: str
    host_port: str
    proc: subprocess.Popen
    stdout_lines: list
    log_path: Path

    def stderr_tail(self, n=2000):
        return Path(self.log_path).read_text(errors="replace")[-n:]


def _start_server(latch, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [LATCH_BIN, "serve", "--listen", "127.0.0.1:0"],
        env=latch.env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    lines, q = [], queue.Queue()

    def pump():  # keep draining stdout so the server can never block on a full pipe
        for line in proc.stdout:
            lines.append(line)
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            proc.kill()
            pytest.fail(f"server did not print 'listening on' within {STARTUP_TIMEOUT}s; stdout={lines!r}")
        try:
            line = q.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            proc.wait(timeout=5)
            pytest.fail(
                f"server exited ({proc.returncode}) before listening; stdout={lines!r}; "
                f"stderr={Path(log_path).read_text()!r}"
            )
        m = re.fullmatch(r"listening on (https?://(127\.0\.0\.1:(\d+)))\s*", line)
        if m:
            assert int(m.group(3)) != 0, line
            return Server(url=m.group(1), host_port=m.group(2), proc=proc, stdout_lines=lines, log_path=log_path)


# --------------------------------------------------------------------------------------
# Session world: data dir, company, products, server
# --------------------------------------------------------------------------------------

@dataclass
class Company:
    company_id: int
    name: str
    api_key: str
    shared_key: str
    public_key_pem: str
    pem_path: Path


@dataclass
class Product:
    product_id: int
    code: str
    name: str


def _create_company(latch, directory, name):
    out = latch.cli("company", "create", "--name", name)
    assert out["name"] == name
    assert isinstance(out["company_id"], int)
    assert out["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    pem_path = Path(directory) / f"company-{out['company_id']}.pem"
    pem_path.write_text(out["public_key_pem"])
    return Company(
        company_id=out["company_id"],
        name=name,
        api_key=out["api_key"],
        shared_key=out["shared_key"],
        public_key_pem=pem_path.read_text(),
        pem_path=pem_path,
    )


def _create_product(latch, company, *extra):
    code, name = unique("e2e"), unique("E2E Product")
    out = latch.cli("product", "create", "--company", company.company_id, "--code", code, "--name", name, *extra)
    assert (out["code"], out["name"]) == (code, name)
    return Product(product_id=out["product_id"], code=code, name=name)


@pytest.fixture(scope="session")
def latch(tmp_path_factory):
    if not os.access(LATCH_BIN, os.X_OK):
        pytest.fail(f"latch binary not found/executable at {LATCH_BIN} (set LATCH_BIN)")
    return Latch(tmp_path_factory.mktemp("latch-data"))


@pytest.fixture(scope="session")
def cli(latch):
    return latch.cli


@pytest.fixture(scope="session")
def company(latch, tmp_path_factory):
    return _create_company(latch, tmp_path_factory.mktemp("keys"), unique("E2E Co"))


@pytest.fixture(scope="session")
def other_company(latch, tmp_path_factory):
    return _create_company(latch, tmp_path_factory.mktemp("keys"), unique("E2E Other Co"))


@pytest.fixture(scope="session")
def product(latch, company):
    return _create_product(latch, company)


@pytest.fixture(scope="session")
def vm_product(latch, company):
    return _create_product(latch, company, "--prevent-vm")


@pytest.fixture(scope="session")
def server(latch, company, product, vm_product, tmp_path_factory):
    srv = _start_server(latch, tmp_path_factory.mktemp("server") / "stderr.log")
    yield srv
    if srv.proc.poll() is not None:
        pytest.fail(f"server died during the session with exit code {srv.proc.returncode}; "
                    f"stderr tail: {srv.stderr_tail()!r}")
    srv.proc.send_signal(signal.SIGTERM)
    try:
        code = srv.proc.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        srv.proc.wait()
        pytest.fail(f"server did not exit within {SHUTDOWN_TIMEOUT}s of SIGTERM")
    assert code == 0, f"server exited with {code} after SIGTERM (expected clean exit 0)"


# --------------------------------------------------------------------------------------
# Per-test helpers
# --------------------------------------------------------------------------------------

@pytest.fixture
def hwid():
    """Factory of fresh hardware ids: hwid() -> 'hw-...'."""
    return lambda: unique("hw")


@pytest.fixture
def make_license(cli, company, product):
    """make_license(*cli_flags, product=None) -> `license create` JSON for a fresh license."""

    def create(*flags, product_code=None):
        out = cli(
            "license", "create", "--company", company.company_id,
            "--product", product_code or product.code, *flags,
        )
        assert isinstance(out["license_id"], int)
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", out["license_key"]), out["license_key"]
        return out

    return create


@pytest.fixture
def verifier(company):
    return make_verifier(company.public_key_pem)


@pytest.fixture
def make_api(server, company, verifier):
    """make_api(hardware_id=..., public_key_pem=..., api_key=..., shared_key=...) -> APIClient."""

    def create(hardware_id="hw-default-unused", public_key_pem=None, api_key=None, shared_key=None):
        return APIClient(
            api_key=api_key or company.api_key,
            shared_key=shared_key or company.shared_key,
            api_protocol="http",
            api_domain=server.host_port,
            signature_verifier=make_verifier(public_key_pem) if public_key_pem else verifier,
            hardware_id_provider=make_hardware(hardware_id),
        )

    return create


@pytest.fixture
def api(make_api):
    """APIClient verifying signatures with the company key. Pass hardware_id= explicitly."""
    return make_api()


@pytest.fixture
def make_manager(server, company, verifier, product, tmp_path):
    """make_manager(hardware_id, product_code=None) -> high-level LicenseManager."""

    def create(hardware_id, product_code=None):
        conf = Configuration(
            product=product_code or product.code,
            api_key=company.api_key,
            shared_key=company.shared_key,
            api_protocol="http",
            api_domain=server.host_port,
            signature_verifier=verifier,
            hardware_id_provider=make_hardware(hardware_id),
            file_path=str(tmp_path / unique("lsfile")),
        )
        return LicenseManager(conf)

    return create


class Wire:
    """Records every HTTP response the SDK's APIClient receives."""

    def __init__(self):
        self.responses = []

    @property
    def last(self):
        assert self.responses, "no HTTP response was recorded"
        return self.responses[-1]


@pytest.fixture(autouse=True)
def _server_stays_up(request):
    """Fail loudly (with the server's stderr) if a test leaves the server dead."""
    yield
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        assert srv.proc.poll() is None, (
            f"server exited with {srv.proc.returncode} during this test; stderr tail: {srv.stderr_tail()!r}")


@pytest.fixture(autouse=True)
def wire(monkeypatch):
    rec = Wire()
    real = requests.request

    def recording(*args, **kwargs):
        resp = real(*args, **kwargs)
        rec.responses.append(resp)
        return resp

    # licensespring.api calls `requests.request(...)` through the module attribute.
    monkeypatch.setattr(requests, "request", recording)
    return rec


@pytest.fixture
def expect_error(wire):
    """`with expect_error("code", status=400): <SDK call>` — the SDK must raise ClientError
    with exactly this code/status, and the raw HTTP response must agree (spec §1.5)."""

    @contextlib.contextmanager
    def check(code, status=400):
        with pytest.raises(ClientError) as info:
            yield info
        err = info.value
        assert (err.code, err.status) == (code, status), f"got {err!r}"
        raw = wire.last
        assert raw.status_code == status, f"HTTP status {raw.status_code} != body status {status}"
        body = raw.json()
        assert body["status"] == status and body["code"] == code, body
        assert isinstance(body["message"], str) and body["message"], body

    return check


# --------------------------------------------------------------------------------------
# Helpers for the license-model suites (features, consumption, floating, users, trials...)
# --------------------------------------------------------------------------------------

def iso_z(dt):
    """UTC datetime -> '2030-01-02T03:04:05.000Z' (what the SDKs send and expect)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_z(value):
    """'...Z' ISO string -> aware UTC datetime (asserts the Z)."""
    assert isinstance(value, str) and value.endswith("Z"), value
    return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)


def parse_cli_date(value):
    """A date printed by the CLI (RFC 3339, any offset) -> aware UTC datetime."""
    assert isinstance(value, str), value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def now_utc():
    return datetime.now(timezone.utc)


# Product features created on `feature_product` (feature code -> type).
FEATURES = {"act": "activation", "cons": "consumption", "flt": "activation", "fcons": "consumption"}


@pytest.fixture(scope="session")
def feature_product(latch, company):
    prod = _create_product(latch, company)
    for code, ftype in FEATURES.items():
        out = latch.cli("product", "add-feature", "--company", company.company_id, "--product", prod.code,
                        "--code", code, "--name", f"Feature {code}", "--type", ftype)
        assert (out["code"], out["feature_type"]) == (code, ftype), out
    return prod


@pytest.fixture
def make_product(latch, company):
    """make_product(*flags) -> Product (fresh code)."""
    return lambda *flags: _create_product(latch, company, *flags)


@pytest.fixture
def new_license(cli, company):
    """new_license(product_code, *flags) -> `license create` JSON plus "product_code"."""

    def create(product_code, *flags):
        out = cli("license", "create", "--company", company.company_id, "--product", product_code, *map(str, flags))
        assert isinstance(out["license_id"], int), out
        return {**out, "product_code": product_code}

    return create


@pytest.fixture
def show(cli):
    """show(lic) -> `latch license show --id` JSON."""
    return lambda lic: cli("license", "show", "--id", lic["license_id"])


@pytest.fixture
def grant(cli):
    """grant(lic, feature, *flags) -> `license add-feature` JSON."""

    def add(lic, feature, *flags):
        out = cli("license", "add-feature", "--license-id", lic["license_id"], "--feature", feature, *map(str, flags))
        assert out["feature"] == feature, out
        return out

    return add


def key_id(lic, hw, **extra):
    """Identity kwargs of a key-based license for APIClient calls."""
    return dict(product=lic["product_code"], license_key=lic["license_key"], hardware_id=hw, **extra)


# --------------------------------------------------------------------------------------
# Webhooks: a receiver, and a server of its own that may deliver to it
# --------------------------------------------------------------------------------------

class Receiver:
    """An HTTP receiver in a thread that keeps every request's headers and raw body."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait_for(self, event, timeout=10.0, count=1):
        """The `count`-th request carrying `event`: (headers, body)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matching = [(headers, body) for headers, body in list(self.received)
                        if json.loads(body)["event"] == event]
            if len(matching) >= count:
                return matching[count - 1]
            time.sleep(0.05)
        pytest.fail(f"no {event} #{count} within {timeout}s; "
                    f"got {[json.loads(b)['event'] for _, b in self.received]}")


def header(headers, name):
    """A header by name, whatever its case."""
    return next(value for key, value in headers.items() if key.lower() == name.lower())


@pytest.fixture
def webhook_world(tmp_path):
    """(latch, company, product, receiver, server): a server of its own that may deliver to private
    addresses such as the receiver's (the session server may not)."""
    latch = Latch(tmp_path / "data")
    latch.env["LATCH_WEBHOOK_ALLOW_PRIVATE"] = "true"
    company = _create_company(latch, tmp_path, "Webhooks Inc")
    product = _create_product(latch, company)
    receiver = Receiver()
    server = _start_server(latch, tmp_path / "server.log")
    yield latch, company, product, receiver, server
    receiver.http.shutdown()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=SHUTDOWN_TIMEOUT + 15) == 0
