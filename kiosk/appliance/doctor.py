"""``kiosk doctor``: every check a technician needs before trusting a kiosk, one line each.

Each check returns a ``Check`` (ok / warn / fail, a one-line non-personal detail, and data for
``--json``); the kiosk is healthy when no check fails. Device checks use the devices the running kiosk
already holds (service mode passes them) or open the configured backends themselves (the CLI), so
the real backends of every port plug in through the registry unchanged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

OK, WARN, FAIL = "ok", "warn", "fail"
CHECK_NAMES = ("card_reader", "camera", "printer", "gpio", "touchscreen", "display", "udev", "clock", "network",
               "receiver", "disk", "backlog", "database", "keys")

MIN_FREE_FAIL = 100 * 1024 * 1024
MIN_FREE_WARN = 500 * 1024 * 1024
MAX_CLOCK_SKEW_S = 300
CERT_WARN_DAYS = 30
CLOCK_FLOOR = datetime(2025, 1, 1, tzinfo=timezone.utc)
FOCUS_MIN = 15.0  # variance of the Laplacian below which a frame is flat or out of focus


@dataclass
class Check:
    name: str
    status: str
    detail: str
    data: dict = field(default_factory=dict)


@dataclass
class DoctorReport:
    checks: list[Check]

    @property
    def is_healthy(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def as_dict(self) -> dict:
        return {"healthy": self.is_healthy, "checks": [asdict(c) for c in self.checks]}

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


def is_appliance(config) -> bool:
    """Configured for a real kiosk (full screen on KMS/DRM) rather than a desk or the demo."""
    return bool(config.display.fullscreen or os.environ.get("SDL_VIDEODRIVER") == "kmsdrm")


def run_doctor(config, *, hardware=None, now: datetime | None = None, timeout: float = 5.0) -> DoctorReport:
    """Run every check. ``hardware``: a started ``Hardware`` bundle to use instead of opening devices."""
    from kiosk.appliance.doctor_platform import check_display, check_udev

    now = now or datetime.now(timezone.utc)
    appliance = is_appliance(config)
    checks = [
        _guard("card_reader", lambda: check_card_reader(_device(config, hardware, "card_reader"))),
        _guard("camera", lambda: check_camera(_device(config, hardware, "camera"), is_appliance=appliance)),
        _guard("printer", lambda: check_printer(_device(config, hardware, "printer"))),
        _guard("gpio", lambda: check_gpio(_device(config, hardware, "panel"), is_appliance=appliance)),
        _guard("touchscreen", lambda: check_touchscreen(is_required=appliance)),
        # the SDL driver in use is known only inside the kiosk's process (service mode passes its hardware)
        _guard("display", lambda: check_display(is_appliance=appliance, in_kiosk=hardware is not None)),
        _guard("udev", lambda: check_udev(is_appliance=appliance)),
    ]
    receiver = _guard("receiver", lambda: check_receiver(config.receiver, now=now, timeout=timeout))
    checks += [
        _guard("clock", lambda: check_clock(now=now, receiver_skew_s=receiver.data.get("clock_skew_s"))),
        _guard("network", lambda: check_network(config.receiver.url)),
        receiver,
        _guard("disk", lambda: check_disk(config.kiosk.data_dir)),
        _guard("backlog", lambda: check_backlog(config, now=now)),
        _guard("database", lambda: check_database(config)),
        _guard("keys", lambda: check_keys(config, is_required=is_appliance(config))),
    ]
    return DoctorReport(checks)


def _guard(name: str, run) -> Check:
    """A check that crashes is a failed check with the error's type, never a crashed doctor."""
    try:
        check = run()
    except Exception as exc:  # noqa: BLE001 - report, do not crash: messages are non-personal by design
        return Check(name, FAIL, f"{type(exc).__name__}: {exc}")
    check.name = name
    return check


class _Opened:
    """A device for one check: the running kiosk's (left open) or a fresh one from the registry (closed after)."""

    def __init__(self, device, *, owned: bool) -> None:
        self.device, self.owned = device, owned


def _device(config, hardware, part: str) -> _Opened:
    if hardware is not None:
        return _Opened(getattr(hardware, part), owned=False)
    from kiosk.devices import Hardware

    return _Opened(getattr(Hardware.from_config(config), part), owned=True)


def _with_device(opened: _Opened, name: str, body) -> Check:
    device = opened.device
    if opened.owned:
        try:
            device.start()
        except Exception as exc:  # noqa: BLE001
            return Check(name, FAIL, f"{device.kind} ({type(device).__name__}) not answering: {exc}",
                         {"backend": type(device).__name__})
    elif not device.is_started:
        return Check(name, FAIL, f"{device.kind} is stopped", {"backend": type(device).__name__})
    try:
        check = body(device)
        check.data.setdefault("backend", type(device).__name__)
        return check
    finally:
        if opened.owned:
            device.close()


# -- devices ------------------------------------------------------------------------------------------

def check_card_reader(opened: _Opened) -> Check:
    def body(reader) -> Check:
        if opened.owned:  # a reader just opened reports a card already in the slot after its first poll
            deadline = time.monotonic() + 1.5
            while not reader.is_card_present and time.monotonic() < deadline:
                time.sleep(0.05)
        if not reader.is_card_present:
            return Check("card_reader", OK, "reader answering; no card inserted", {"card_present": False})
        identity = reader.read_identity()  # personal: only the card type and validity leave this function
        is_valid = identity.expiry_date >= date.today()
        data = {"card_present": True, "card_type": identity.card_type, "card_valid": is_valid}
        if not is_valid:
            return Check("card_reader", WARN, f"reader answering; {identity.card_type} card read, expired", data)
        return Check("card_reader", OK, f"reader answering; {identity.card_type} card read", data)

    return _with_device(opened, "card_reader", body)


def focus_measure(frame: np.ndarray) -> float:
    """Variance of the Laplacian of the grey frame: high when sharp, near zero when flat or blurred."""
    grey = frame.astype(np.float32).mean(axis=2)
    lap = (-4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:])
    return float(lap.var())


def check_camera(opened: _Opened, *, frames: int = 5, is_appliance: bool = False) -> Check:
    from kiosk.appliance.doctor_platform import describe_camera

    def body(camera) -> Check:
        status, stack, stack_data = describe_camera(camera, is_appliance=is_appliance)
        if status == FAIL:
            return Check("camera", FAIL, stack, stack_data)
        check = _frames(camera)
        check.detail = f"{stack}: {check.detail}"
        check.data.update(stack_data)
        return check

    def _frames(camera) -> Check:
        start = time.monotonic()
        grabbed = [camera.frame() for _ in range(frames)]
        fps = frames / max(time.monotonic() - start, 1e-6)
        last = grabbed[-1]
        focus = focus_measure(last)
        brightness = float(last.mean())
        data = {"frames": frames, "fps": round(fps, 1), "width": int(last.shape[1]), "height": int(last.shape[0]),
                "focus": round(focus, 1), "brightness": round(brightness, 1)}
        if brightness < 8:
            return Check("camera", WARN, "frames arrive but are black: lens covered or no light", data)
        if focus < FOCUS_MIN:
            return Check("camera", WARN, f"frames arrive but show no detail (focus {focus:.1f}): "
                         "nothing in view, or out of focus", data)
        return Check("camera", OK, f"{frames} frames at {fps:.0f} fps, focus {focus:.0f}", data)

    return _with_device(opened, "camera", body)


def check_printer(opened: _Opened) -> Check:
    def body(printer) -> Check:
        status = printer.status()
        data = {"online": status.is_online, "paper": status.paper, "cover_open": status.is_cover_open,
                "profile": printer.profile}
        if not status.is_online:
            return Check("printer", FAIL, "printer offline: check its cable and power", data)
        if status.is_cover_open:
            return Check("printer", FAIL, "printer cover open", data)
        if status.paper == "out":
            return Check("printer", FAIL, "printer out of paper: load a new roll", data)
        if status.paper == "near_end":
            return Check("printer", WARN, "printer online; paper near its end", data)
        return Check("printer", OK, f"printer online, paper ok ({printer.profile})", data)

    return _with_device(opened, "printer", body)


def check_gpio(opened: _Opened, *, is_appliance: bool = False) -> Check:
    from kiosk.appliance.doctor_platform import describe_gpio

    def body(panel) -> Check:
        status, factory, data = describe_gpio(panel, is_appliance=is_appliance)
        data.update({"pins": dict(panel.pins.items()), "tamper_open": panel.is_tamper_open,
                     "headphones": panel.has_headphones, "presence": panel.is_someone_present})
        if status == FAIL:
            return Check("gpio", FAIL, factory, data)
        if panel.is_tamper_open:
            return Check("gpio", FAIL, f"{factory}; enclosure open (tamper switch): close it, then log in as "
                         "technician", data)
        return Check("gpio", OK, f"{factory}; {len(data['pins'])} panel pins claimed; enclosure closed", data)

    return _with_device(opened, "gpio", body)


ABS_MT_POSITION_X = 0x35
BTN_TOUCH = 0x14A


def touch_devices(text: str) -> list[str]:
    """Names of touch input devices in ``/proc/bus/input/devices`` (multitouch, or absolute + BTN_TOUCH)."""
    found = []
    for block in text.split("\n\n"):
        name, abs_bits, key_bits = "", 0, 0
        for line in block.splitlines():
            if line.startswith("N: Name="):
                name = line.split("=", 1)[1].strip().strip('"')
            elif line.startswith("B: ABS="):
                abs_bits = _bitmask(line.split("=", 1)[1])
            elif line.startswith("B: KEY="):
                key_bits = _bitmask(line.split("=", 1)[1])
        if abs_bits >> ABS_MT_POSITION_X & 1 or (abs_bits & 0b11 == 0b11 and key_bits >> BTN_TOUCH & 1):
            found.append(name)
    return found


def _bitmask(words: str, *, long_bits: int = ctypes.sizeof(ctypes.c_long) * 8) -> int:
    """The kernel prints the bitmap as space-separated hex longs (its own long size), most significant first."""
    value = 0
    for word in words.split():
        value = (value << long_bits) | int(word, 16)
    return value


def check_touchscreen(*, is_required: bool, devices_file: Path = Path("/proc/bus/input/devices")) -> Check:
    try:
        names = touch_devices(devices_file.read_text())
    except OSError:
        names = []
    if names:
        return Check("touchscreen", OK, f"touch input: {', '.join(names)}", {"devices": names})
    if is_required:
        return Check("touchscreen", FAIL, "no touchscreen found: check the display's USB/DSI touch cable",
                     {"devices": []})
    return Check("touchscreen", WARN, "no touchscreen found (fine on a desk or the simulated setup: mouse input)",
                 {"devices": []})


# -- time, network, receiver ------------------------------------------------------------------------

def kernel_clock_synced() -> bool | None:
    """The kernel's view (adjtimex): ``False`` when no time service has synchronised the clock."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex is 208 bytes on 64-bit Linux
        state = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != 5  # TIME_ERROR: the clock is not synchronised


def check_clock(*, now: datetime, receiver_skew_s: float | None) -> Check:
    floor = max(CLOCK_FLOOR, datetime.fromtimestamp(Path(__file__).stat().st_mtime, timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0))
    synced = kernel_clock_synced()
    data = {"now": now.isoformat(timespec="seconds"), "kernel_synced": synced, "receiver_skew_s": receiver_skew_s}
    if now < floor:
        return Check("clock", FAIL, f"clock reads {now:%Y-%m-%d}, before this software was installed: "
                     "no RTC and no time sync yet (TLS checks will fail)", data)
    if receiver_skew_s is not None and abs(receiver_skew_s) > MAX_CLOCK_SKEW_S:
        return Check("clock", FAIL, f"clock is {receiver_skew_s:+.0f} s off the receiver's", data)
    if receiver_skew_s is not None:
        return Check("clock", OK, f"clock within {abs(receiver_skew_s):.0f} s of the receiver's", data)
    if synced is False:
        return Check("clock", WARN, "clock plausible but not synchronised by a time service (no RTC on a Pi)", data)
    return Check("clock", OK, "clock plausible" + (" and synchronised" if synced else ""), data)


def default_routes() -> list[str]:
    routes = []
    try:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            parts = line.split()
            if len(parts) > 2 and parts[1] == "00000000":
                routes.append(parts[0])
    except OSError:
        pass
    try:
        for line in Path("/proc/net/ipv6_route").read_text().splitlines():
            parts = line.split()
            if len(parts) == 10 and parts[0] == "0" * 32 and parts[1] == "00" and parts[9] != "lo":
                routes.append(parts[9] + " (IPv6)")
    except OSError:
        pass
    return sorted(set(routes))


def check_network(url: str) -> Check:
    routes = default_routes()
    data: dict = {"default_routes": routes}
    host = urlsplit(url).hostname if url else None
    if host:
        try:
            addresses = sorted({a[4][0] for a in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})
            data["receiver_addresses"] = addresses
        except OSError as exc:
            return Check("network", FAIL, f"cannot resolve the receiver's host {host}: {exc.strerror or exc}", data)
        if all(a.startswith("127.") or a == "::1" for a in addresses):
            return Check("network", OK, f"receiver on this machine ({host})", data)
    if not routes:
        return Check("network", WARN, "no default route: the kiosk is offline (packets wait in the outbox)", data)
    return Check("network", OK, f"default route via {', '.join(routes)}", data)


def _days_left(pem_or_der: bytes, now: datetime) -> int:
    from cryptography import x509

    cert = (x509.load_pem_x509_certificate(pem_or_der) if pem_or_der.lstrip().startswith(b"-----")
            else x509.load_der_x509_certificate(pem_or_der))
    return (cert.not_valid_after_utc - now).days


def check_receiver(section, *, now: datetime, timeout: float) -> Check:
    """``/healthz`` through the same transport the sync uses (mutual TLS, the pinned receiver certificate),
    the receiver's certificate and the kiosk's own client certificate, and the clock skew from ``Date``."""
    import dataclasses

    import httpx

    from kiosk.errors import KioskError
    from kiosk.sync.transport import Transport

    url = section.url
    if not url:
        return Check("receiver", WARN, "no receiver.url configured (the demo starts its own receiver)", {})
    data: dict = {"url": url}
    try:
        transport = dataclasses.replace(Transport.from_config(section), timeout_s=timeout)
        client = transport.client()
    except KioskError as exc:
        return Check("receiver", FAIL, f"receiver TLS setup: {exc}", data)
    try:
        with client, client.stream("GET", "/healthz") as response:
            stream = response.extensions.get("network_stream")  # read while the connection is ours
            ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
            peer_der = ssl_object.getpeercert(True) if ssl_object is not None else None
            transport.check_peer(response)
            response.read()
    except KioskError as exc:  # UntrustedReceiver: not the pinned certificate
        return Check("receiver", FAIL, f"receiver certificate not trusted: {exc}", data)
    except httpx.HTTPError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate" in str(exc).lower():
            return Check("receiver", FAIL, "receiver certificate not trusted (not the pinned one, wrong name or "
                         "expired)", data)
        return Check("receiver", FAIL, f"receiver unreachable: {type(exc).__name__}", data)
    data["status_code"] = response.status_code
    if "date" in response.headers:
        try:
            data["clock_skew_s"] = round((now - parsedate_to_datetime(response.headers["date"])).total_seconds(), 1)
        except (TypeError, ValueError):
            pass
    if response.status_code != 200:
        return Check("receiver", FAIL, f"receiver answered HTTP {response.status_code} on /healthz", data)
    if not url.startswith("https://"):
        return Check("receiver", OK, "receiver reachable (plain HTTP: only for a receiver on this machine)", data)
    warnings = []
    if peer_der:
        days = data["certificate_days_left"] = _days_left(peer_der, now)
        if days < CERT_WARN_DAYS:
            warnings.append(f"its certificate expires in {days} days")
    if section.client_cert is not None:
        client_days = data["client_certificate_days_left"] = _days_left(Path(section.client_cert).read_bytes(), now)
        if client_days < 0:
            return Check("receiver", FAIL, "the kiosk's client certificate has expired", data)
        if client_days < CERT_WARN_DAYS:
            warnings.append(f"the kiosk's client certificate expires in {client_days} days")
    if warnings:
        return Check("receiver", WARN, "receiver reachable; " + "; ".join(warnings), data)
    return Check("receiver", OK, f"receiver reachable over TLS; certificate valid "
                 f"{data.get('certificate_days_left', '?')} more days", data)


# -- local state --------------------------------------------------------------------------------------

def check_disk(data_dir: Path) -> Check:
    path = Path(data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    data = {"free_bytes": usage.free, "total_bytes": usage.total, "path": str(data_dir)}
    free_mib = usage.free // (1024 * 1024)
    if usage.free < MIN_FREE_FAIL:
        return Check("disk", FAIL, f"only {free_mib} MiB free for the outbox", data)
    if usage.free < MIN_FREE_WARN:
        return Check("disk", WARN, f"{free_mib} MiB free: running low", data)
    return Check("disk", OK, f"{free_mib} MiB free", data)


def check_backlog(config, *, now: datetime) -> Check:
    from kiosk.appliance.freeze import evaluate
    from kiosk.store import Store

    with Store.open(config.db_path) as store:
        count, oldest = store.backlog()
    verdict = evaluate(config, backlog=count, oldest=oldest, now=now)
    data = {"backlog": count, "oldest_unsynced": oldest, "oldest_age_days": verdict.oldest_age_days,
            "max_age_days": verdict.max_age_days, "max_backlog": verdict.max_backlog, "frozen": verdict.is_frozen}
    if verdict.is_frozen:
        return Check("backlog", FAIL, f"kiosk frozen: {verdict.reason} (sync the outbox)", data)
    if verdict.is_near:
        return Check("backlog", WARN, f"{count} packet(s) unsynced, near the freeze limits", data)
    return Check("backlog", OK, f"{count} packet(s) waiting for delivery", data)


def check_database(config) -> Check:
    from kiosk.store import Store

    with Store.open(config.db_path) as store:
        problems = store.integrity_problems()
        migrations = store.applied_migrations()
    if problems:
        return Check("database", FAIL, "outbox database damaged: " + "; ".join(problems[:3]), {"migrations": migrations})
    return Check("database", OK, f"outbox database sound ({len(migrations)} migrations)", {"migrations": migrations})


def check_keys(config, *, is_required: bool) -> Check:
    signing = config.keys_dir / "kiosk.key"
    public = config.receiver.public_key
    data = {"signing_key": signing.is_file(), "receiver_public_key": bool(public and Path(public).is_file())}
    missing = []
    if not data["signing_key"]:
        missing.append("the kiosk's signing key (made on first run)")
    if not data["receiver_public_key"]:
        missing.append("receiver.public_key")
    if not missing:
        mode = oct(signing.stat().st_mode & 0o777)
        data["signing_key_mode"] = mode
        if signing.stat().st_mode & 0o077:
            return Check("keys", FAIL, f"signing key readable by others ({mode}): chmod 600", data)
        return Check("keys", OK, "signing key and receiver public key present", data)
    status = FAIL if is_required else WARN
    return Check("keys", status, "missing: " + ", ".join(missing), data)


def format_plain(report: DoctorReport) -> str:
    lines = [f"{c.status.upper():<4}  {c.name:<12} {c.detail}" for c in report.checks]
    lines.append("healthy" if report.is_healthy else "NOT healthy: " + ", ".join(
        c.name for c in report.checks if c.status == FAIL))
    return "\n".join(lines)
