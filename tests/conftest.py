import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

from pcsc_harness import pcsc_session, pcsc_stack, release_if_unused  # noqa: E402,F401 - pcscd + vpcd + emulator


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item, nextitem):
    release_if_unused(nextitem)  # free the machine's one pcscd as soon as our PC/SC tests are done


@pytest.fixture(autouse=True)
def _kiosk_log_handlers_removed():
    """A CLI run in-process (``kiosk.cli.main``) sets up the root logger with a handler on this test's
    captured stderr (``kiosk.logs.setup_logging``); remove the handlers it added, so that a later test's
    threads do not log into a stream pytest has closed ("--- Logging error ---")."""
    import logging

    from kiosk.logs import JsonFormatter

    root = logging.getLogger()
    before = set(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before and isinstance(handler.formatter, JsonFormatter):
            root.removeHandler(handler)
            handler.close()
