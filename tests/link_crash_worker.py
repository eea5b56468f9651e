"""A reference receiver (``ReceiverServer``, plain HTTP on 127.0.0.1) whose messenger crashes it.

Run by tests/test_receiver_links.py as ``python link_crash_worker.py DATA_DIR MODE``; prints its URL,
then serves until it is killed:

- ``hang``: the first message is never sent: the messenger says ``sending`` and waits, so the test
  kills the process (SIGKILL) after the packet was committed and acknowledged, before any link left;
- ``die``: the first message is sent (written to ``DATA/outbox``), then the process kills itself with
  SIGKILL before its job is marked done.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from kiosk.receiver.messages import FileMessenger
from kiosk.receiver.server import ReceiverServer


class CrashingMessenger(FileMessenger):
    def __init__(self, data_dir: str, mode: str) -> None:
        super().__init__(data_dir)
        self.mode = mode

    def send(self, **message) -> str:
        if self.mode == "hang":
            print("sending", flush=True)
            threading.Event().wait()
        sent = super().send(**message)
        print("sent", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return sent


def main() -> None:
    data_dir, mode = sys.argv[1], sys.argv[2]
    server = ReceiverServer(data_dir, messenger=CrashingMessenger(data_dir, mode)).start()
    print(server.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
