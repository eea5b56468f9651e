"""The fixture for tests on the real PC/SC stack (see ``hardware.card.emulator.stack``).

One ``PcscStack`` per test session. pcscd is one per machine, so the stack holds a machine-wide lock
while it runs: it is started for the first test that asks for ``pcsc_stack`` and stopped (pcscd
stopped by pid, lock released) as soon as the next test does not need it, so other test sessions
on the machine wait for our PC/SC tests only, not for our whole run.
"""

from __future__ import annotations

import pytest

from hardware.card.emulator.stack import VPCD_READER, PcscStack

__all__ = ["VPCD_READER", "PcscStack", "pcsc_stack", "release_if_unused"]

_stacks: list[PcscStack] = []


@pytest.fixture(scope="session")
def pcsc_session(tmp_path_factory):
    stack = PcscStack(tmp_path_factory.mktemp("pcsc"))
    _stacks.append(stack)
    try:
        yield stack
    finally:
        stack.close()
        _stacks.remove(stack)


@pytest.fixture
def pcsc_stack(pcsc_session):
    """pcscd + vpcd (started by the test session, stopped by pid) and the card emulator."""
    pcsc_session.start()
    return pcsc_session


def release_if_unused(nextitem) -> None:
    """After a test: stop pcscd and free the machine's lock unless the next test needs them too."""
    if nextitem is not None and "pcsc_stack" in getattr(nextitem, "fixturenames", ()):
        return
    for stack in _stacks:
        if stack.is_started:
            stack.close()
