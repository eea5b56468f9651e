"""``scripts/install`` in a real Debian bookworm root made with debootstrap: installs, a second run changes
nothing, an update waits for a citizen mid-session, and the uninstall keeps the outbox unless purged.

Slow by nature (debootstrap, apt and pip download from the Debian mirror and PyPI): the whole module
takes a few minutes and shares one root; nothing else in the suite depends on it. The Raspberry Pi OS
packages (python3-picamera2, python3-lgpio) are not in Debian's archive: the install must report them
missing, and this test checks that it does and that nothing pretends to provide them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MIRROR = os.environ.get("SPORTELLO_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sportello" / "debootstrap"
TIMINGS: dict[str, float] = {}


def _run(cmd, *, timeout=900, check=True, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _chroot_env() -> dict[str, str]:
    """A clean environment, as root's login on the Pi would have: nothing from this test process leaks in
    except how to reach the package registries (proxy and CA settings, which a site sets the same way)."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    for key, value in os.environ.items():
        if key.startswith(("PIP_CERT", "PIP_INDEX", "PIP_EXTRA_INDEX", "PIP_DEFAULT_TIMEOUT", "SSL_CERT_")) or key in (
                "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY",
                "HTTPS_PROXY", "NO_PROXY"):
            env[key] = value
    return env


class Chroot:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.mounts: list[Path] = []

    def mount(self) -> None:
        for source, target, args in (("proc", "proc", ["-t", "proc"]), ("/dev", "dev", ["--bind"]),
                                     ("/dev/pts", "dev/pts", ["--bind"])):
            where = self.path / target
            where.mkdir(parents=True, exist_ok=True)
            _run(["mount", *args, source, str(where)])
            self.mounts.append(where)

    def unmount(self) -> None:
        for where in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
        self.mounts.clear()

    def run(self, *cmd, check=True, timeout=900) -> subprocess.CompletedProcess:
        return _run(["chroot", str(self.path), *cmd], check=check, timeout=timeout, env=_chroot_env())

    def install(self, *args, check=True) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = self.run("/src/scripts/install", *args, check=check)
        TIMINGS.setdefault("install " + " ".join(args), round(time.monotonic() - started, 1))
        return result

    def snapshot(self) -> str:
        """A digest of everything the install owns or touches (contents, modes, owners, links)."""
        digest = hashlib.sha256()
        for rel in ("etc/sportello", "var/lib/sportello", "opt/sportello", "etc/systemd/system", "etc/udev/rules.d",
                    "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"):
            top = self.path / rel
            paths = [top] if top.is_file() else sorted(p for p in top.rglob("*")) if top.exists() else []
            for p in paths:
                st = os.lstat(p)
                digest.update(f"{p.relative_to(self.path)} {st.st_mode:o} {st.st_uid}:{st.st_gid}".encode())
                if p.is_symlink():
                    digest.update(os.readlink(p).encode())
                elif p.is_file() and "__pycache__" not in p.parts:
                    digest.update(p.read_bytes())
        digest.update(self.run("dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n").stdout.encode())
        return digest.hexdigest()


@pytest.fixture(scope="module")
def bookworm(tmp_path_factory):
    assert shutil.which("debootstrap"), "debootstrap is missing: ./scripts/bootstrap installs it"
    path = tmp_path_factory.mktemp("bookworm") / "root"
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = _run(["debootstrap", "--variant=minbase", f"--cache-dir={CACHE}", "bookworm", str(path), MIRROR],
                  check=False, timeout=900)
    assert result.returncode == 0, (f"debootstrap could not build a bookworm root from {MIRROR}:\n"
                                    f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    TIMINGS["debootstrap"] = round(time.monotonic() - started, 1)
    shutil.copy("/etc/resolv.conf", path / "etc" / "resolv.conf")
    (path / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")  # no daemons start in a chroot
    (path / "usr/sbin/policy-rc.d").chmod(0o755)
    # the host's extra CAs (a TLS-inspecting proxy), trusted the way a site adds them on the Pi
    extra = Path("/usr/local/share/ca-certificates")
    if extra.is_dir():
        shutil.copytree(extra, path / "usr/local/share/ca-certificates", dirs_exist_ok=True)
    source = path / "src"
    source.mkdir()
    tar = subprocess.Popen(["tar", "cf", "-", "--exclude=.venv", "--exclude=var", "--exclude=.git",
                            "--exclude=__pycache__", "--exclude=.pytest_cache", "."], cwd=ROOT, stdout=subprocess.PIPE)
    _run(["tar", "xf", "-", "-C", str(source)], stdin=tar.stdout)
    tar.wait()
    chroot = Chroot(path)
    chroot.mount()
    try:
        yield chroot
    finally:
        chroot.unmount()
        print(f"\ninstall timings (s): {TIMINGS}")
        shutil.rmtree(path, ignore_errors=True)


def test_install_on_a_fresh_bookworm_root(bookworm):
    result = bookworm.install("--no-start")
    out = result.stdout
    assert "MISSING (Raspberry Pi OS packages, not in this archive): python3-picamera2 python3-lgpio" in out
    for pkg in ("python3-picamera2", "python3-lgpio"):  # reported, never faked
        status = bookworm.run("dpkg-query", "-W", "-f", "${Status}", pkg, check=False).stdout
        assert "ok installed" not in status
    for pkg in ("pcscd", "libccid", "tesseract-ocr", "python3-pyscard", "fonts-dejavu-core", "fonts-wqy-microhei"):
        assert "ok installed" in bookworm.run("dpkg-query", "-W", "-f", "${Status}", pkg).stdout
    assert bookworm.run("/opt/sportello/venv/bin/kiosk", "--version").stdout.startswith("sportello ")
    cfg = (bookworm.path / "opt/sportello/venv/pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg
    assert bookworm.run("/opt/sportello/venv/bin/python", "-c", "import smartcard, numpy").returncode == 0
    groups = bookworm.run("id", "-nG", "sportello").stdout.split()
    assert {"sportello", "video", "input", "render", "gpio", "dialout", "lp", "plugdev"} <= set(groups)
    assert bookworm.run("getent", "passwd", "sportello").stdout.strip().endswith(":/var/lib/sportello:/usr/sbin/nologin")
    st = bookworm.run("stat", "-c", "%a %U:%G", "/etc/sportello", "/etc/sportello/kiosk.toml",
                      "/var/lib/sportello").stdout.split("\n")
    assert st[:3] == ["750 root:sportello", "640 root:sportello", "700 sportello:sportello"]
    check = bookworm.run("/opt/sportello/venv/bin/kiosk", "--config", "/etc/sportello/kiosk.toml", "config", "check")
    assert "config ok" in check.stdout
    wants = bookworm.path / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "sportello-kiosk.service").is_symlink() and (wants / "sportello-sync.service").is_symlink()
    assert (bookworm.path / "etc/systemd/system/timers.target.wants/sportello-housekeeping.timer").is_symlink()
    assert (bookworm.path / "etc/udev/rules.d/60-sportello.rules").is_file()


def test_a_second_run_changes_nothing(bookworm):
    before = bookworm.snapshot()
    result = bookworm.install("--no-start")
    assert "nothing to do: already installed and up to date (0 changes)" in result.stdout
    assert bookworm.snapshot() == before


def test_an_update_waits_while_a_citizen_is_mid_session(bookworm):
    """A kiosk process mid-session holds the update lock shared (what kiosk.appliance.update_lock does):
    the install, a separate process, waits for it, then gives up having changed nothing."""
    kiosk = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.appliance.update_lock import SessionLock; "
         "lock = SessionLock(sys.argv[1]); assert lock.hold(); print('session', flush=True); sys.stdin.read()",
         str(bookworm.path / "var/lib/sportello/update.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert kiosk.stdout.readline().strip() == "session"
        before = bookworm.snapshot()
        result = bookworm.install("--no-start", "--wait-for-idle", "1", check=False)
        assert result.returncode == 75 and "a citizen is using the kiosk" in result.stdout
        assert "waiting (up to 1s)" in result.stdout
        assert bookworm.snapshot() == before
    finally:
        kiosk.stdin.close()
        kiosk.wait()
    result = bookworm.install("--no-start", "--wait-for-idle", "0")  # the session is over: the update goes
    assert "nothing to do" in result.stdout


def test_uninstall_keeps_the_outbox_unless_purged(bookworm):
    (bookworm.path / "var/lib/sportello/kiosk.db").write_bytes(b"undelivered")
    out = bookworm.install("--uninstall").stdout
    assert "kept /etc/sportello and /var/lib/sportello" in out
    assert not (bookworm.path / "opt/sportello").exists()
    assert not (bookworm.path / "etc/systemd/system/sportello-kiosk.service").exists()
    assert not (bookworm.path / "etc/systemd/system/multi-user.target.wants/sportello-kiosk.service").is_symlink()
    assert (bookworm.path / "var/lib/sportello/kiosk.db").read_bytes() == b"undelivered"
    assert bookworm.run("getent", "passwd", "sportello", check=False).returncode != 0
    bookworm.install("--uninstall", "--purge")
    assert not (bookworm.path / "etc/sportello").exists() and not (bookworm.path / "var/lib/sportello").exists()
