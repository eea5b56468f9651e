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
