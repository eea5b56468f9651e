"""The vpcd side of the wire: connect to vpcd (Debian's ``vsmartcard-vpcd``) and be its card.

vpcd's protocol: every message is a 2-byte big-endian length and a payload. A one-byte payload
is a control message: ``00`` power off, ``01`` power on, ``02`` reset, ``04`` send the ATR
(answered with the ATR). Any other payload is a command APDU, answered with the response APDU.
The card is "inserted" while the connection is open and "removed" when it closes.
"""

from __future__ import annotations

import logging
import socket
import threading

from hardware.card.emulator.card import EmulatedCard

log = logging.getLogger("hardware.card.emulator")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # vpcd's first slot (CHANNELID 0x8C7B in /etc/reader.conf.d/vpcd)

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return data


def _quickack(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


class VpcdLink:
    """One card in one vpcd slot. ``insert()`` connects, ``remove()`` disconnects.

    While inserted, a lost connection (pcscd, and vpcd with it, restarted) is re-established:
    the card stays in the reader as far as PC/SC can tell. ``pull_after``: take the card out by
    itself after answering that many APDUs (a card yanked out in the middle of a read).
    """

    def __init__(self, card: EmulatedCard, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.card = card
        self.host, self.port = host, port
        self.pull_after: int | None = None
        self.connections = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._want = threading.Event()
        self._gone = threading.Event()
        self._connected = threading.Event()
        self._lock = threading.Lock()

    @property
    def is_inserted(self) -> bool:
        return self._want.is_set()

    def insert(self, *, timeout: float = 10.0) -> None:
        """Put the card in: connect to vpcd, waiting up to ``timeout`` s for vpcd to listen."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._want.set()
            self._gone.clear()
            self._connected.clear()
            self._thread = threading.Thread(target=self._run, name="vpcd-card", daemon=True)
            self._thread.start()
        if not self._connected.wait(timeout):
            self.remove()
            raise ConnectionError(f"vpcd is not listening on {self.host}:{self.port}")

    def remove(self) -> None:
        """Take the card out: close the connection (vpcd reports the card as removed)."""
        self._want.clear()
        self._gone.set()
        with self._lock:
            sock, thread = self._sock, self._thread
            self._thread = None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def wait(self) -> None:
        """Block until the card is taken out."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while self._want.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._gone.wait(0.05)  # vpcd not listening (yet): retry soon, or stop when removed
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _quickack(sock)
            sock.settimeout(None)
            with self._lock:
                self._sock = sock
            self.connections += 1
            self.card.reset()
            self._connected.set()
            is_pulled = self._serve(sock)
            with self._lock:
                self._sock = None
            if is_pulled:
                self._want.clear()

    def _serve(self, sock: socket.socket) -> bool:
        """Answer vpcd until the connection ends; ``True`` when ``pull_after`` pulled the card."""
        answered = 0
        try:
            while True:
                size = int.from_bytes(_recv_exact(sock, 2), "big")
                message = _recv_exact(sock, size)
                _quickack(sock)
                if size == 1 and message[0] in (POWER_OFF, POWER_ON, RESET, GET_ATR):
                    if message[0] != GET_ATR:
                        self.card.reset()
                        continue
                    reply = self.card.atr
                else:
                    if self.pull_after is not None and answered >= self.pull_after:
                        return True
                    reply = self.card.process(message)
                    answered += 1
                sock.sendall(len(reply).to_bytes(2, "big") + reply)
                _quickack(sock)
        except (ConnectionError, OSError):
            return False
        finally:
            try:
                sock.close()
            except OSError:
                pass
