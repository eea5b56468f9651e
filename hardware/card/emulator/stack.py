"""The real PC/SC stack for tests and benchmarks: ``pcscd -f`` with Debian's vpcd, and the emulator.

``PcscStack`` starts pcscd itself (never with auto-exit) and stops it by pid. One pcscd per machine:
a lock file serialises test sessions that need it (two suites running at once take turns), and a
pid file remembers the pcscd a session started, so a stale one left by a killed run is stopped
first. A pcscd already running that no session started (a developer's, or the system's) is
used as it is and left alone.

Cards are put in and taken out through ``PcscStack.insert(profile)`` / ``remove()``: the emulator
runs in this process (``VpcdLink``), so a test can pull the card after N APDUs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from hardware.card.emulator import profiles
from hardware.card.emulator.vpcd import VpcdLink

LOCK_FILE = Path("/tmp/sportello-pcscd.lock")
PID_FILE = Path("/tmp/sportello-pcscd.pid")
LOCK_WAIT_S = 1800
VPCD_READER = "Virtual PCD 00 00"
PCSCD = shutil.which("pcscd") or "/usr/sbin/pcscd"


def _is_pcscd(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd"
    except OSError:
        return False


def _pcscd_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _is_pcscd(int(p.name))]


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _is_pcscd(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def readers() -> list[str] | None:
    """The readers pcscd lists, or ``None`` when pcscd does not answer."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, names = scard.SCardListReaders(context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        return list(names) if hresult == scard.SCARD_S_SUCCESS else None
    finally:
        scard.SCardReleaseContext(context)


class PcscStack:
    """pcscd + vpcd + the test CA; one per test session."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.ca = profiles.make_ca()
        self.ca_path = workdir / "test-ca.pem"
        self.ca_path.write_bytes(self.ca[1].public_bytes(serialization.Encoding.PEM))
        self.process: subprocess.Popen | None = None
        self.link: VpcdLink | None = None
        self._lock_fd: int | None = None
        self._cards: dict[str, object] = {}

    # -- pcscd ----------------------------------------------------------------------------------

    @property
    def is_started(self) -> bool:
        return self._lock_fd is not None

    def start(self) -> None:
        """Take the machine's pcscd lock (waiting for other sessions), then start or adopt pcscd."""
        if self._lock_fd is not None:
            return
        fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
        got = threading.Event()
        # a blocking flock: the kernel wakes us the moment the lock is free (no polling, fair turns)
        threading.Thread(target=lambda: (fcntl.flock(fd, fcntl.LOCK_EX), got.set()), daemon=True).start()
        if not got.wait(LOCK_WAIT_S):
            raise RuntimeError(f"another session has held pcscd for {LOCK_WAIT_S // 60} minutes")
        self._lock_fd = fd
        self._stop_stale()
        if _pcscd_pids():
            self.wait_ready()  # someone else's pcscd: use it, leave it running
            return
        self.start_pcscd()

    def _stop_stale(self) -> None:
        try:
            pid = int(PID_FILE.read_text().strip())
        except (OSError, ValueError):
            return
        if _is_pcscd(pid):  # started by an earlier session that died without cleaning up
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid)
            if _is_pcscd(pid):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid)
        PID_FILE.unlink(missing_ok=True)

    def start_pcscd(self) -> None:
        log = open(self.workdir / "pcscd.log", "ab")
        self.process = subprocess.Popen([PCSCD, "-f"], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        PID_FILE.write_text(str(self.process.pid))
        self.wait_ready()

    def stop_pcscd(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        PID_FILE.unlink(missing_ok=True)

    def kill_pcscd(self) -> None:
        """pcscd dies (SIGKILL), as when it crashes."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(timeout=10)
        PID_FILE.unlink(missing_ok=True)
        for path in (Path("/run/pcscd/pcscd.comm"), Path("/run/pcscd/pcscd.pid")):
            path.unlink(missing_ok=True)

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            names = readers()
            if names and any(VPCD_READER in n for n in names):
                return
            time.sleep(0.05)
        raise RuntimeError(f"pcscd did not list {VPCD_READER!r} within {timeout} s (see {self.workdir}/pcscd.log)")

    def close(self) -> None:
        """Take the card out, stop the pcscd this stack started, release the lock (start() may follow)."""
        if self.link is not None:
            self.link.remove()
            self.link = None
        self.stop_pcscd()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    # -- cards ----------------------------------------------------------------------------------

    def card(self, profile: str):
        """A fresh emulated card of ``profile`` (its certificate issued by this session's CA)."""
        return profiles.build(profile, self.ca)

    def insert(self, profile_or_card, *, pull_after: int | None = None):
        """Put a card in vpcd's first slot (removing the one there); returns the emulated card."""
        self.remove()
        card = self.card(profile_or_card) if isinstance(profile_or_card, str) else profile_or_card
        self.link = VpcdLink(card)
        self.link.pull_after = pull_after
        self.link.insert()
        self.wait_slot(present=True)
        return card

    def remove(self) -> None:
        """Take the card out and wait until pcscd has seen the slot empty (vpcd polls for it)."""
        if self.link is not None:
            self.link.remove()
            self.link = None
            self.wait_slot(present=False)

    def wait_slot(self, *, present: bool, timeout: float = 10.0) -> None:
        from smartcard import scard

        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return  # pcscd is down: nothing to wait for
        try:
            state = scard.SCARD_STATE_UNAWARE
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                hresult, states = scard.SCardGetStatusChange(context, 1000, [(VPCD_READER, state)])
                if hresult == scard.SCARD_E_TIMEOUT:
                    continue
                if hresult != scard.SCARD_S_SUCCESS:
                    return
                _, state, _ = states[0]
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return
                state &= ~scard.SCARD_STATE_CHANGED
        finally:
            scard.SCardReleaseContext(context)
