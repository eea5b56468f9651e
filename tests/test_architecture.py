"""DESIGN.md's "who may import whom", checked on the real import graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(package: str) -> set[str]:
    names = set()
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_hardware_knows_no_journey():
    assert "kiosk" not in _top(_imports("hardware"))


def test_journey_is_pure():
    imported = _imports("kiosk.journey")
    assert not _top(imported) & {"pygame", "pygame_gui", "hardware", "sqlite_utils", "sqlite3", "httpx"}
    assert not {n for n in imported if n.startswith(("kiosk.store", "kiosk.sync", "kiosk.ui", "kiosk.sealing"))}
    # hardware.errors holds the root of the one error tree (drivers cannot import kiosk): that is all
    code = "import sys, kiosk.journey; bad = [m for m in sys.modules if m.split('.')[0] in " \
           "('pygame', 'pygame_gui', 'hardware', 'sqlite_utils', 'httpx') and m not in ('hardware', " \
           "'hardware.errors')]; print(bad); sys.exit(1 if bad else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout


def test_ui_never_writes_the_store_or_calls_sync():
    imported = _imports("kiosk.ui")
    assert not {n for n in imported if n.startswith(("kiosk.store", "kiosk.sync", "kiosk.sealing", "kiosk.receiver"))}
    assert not _top(imported) & {"hardware", "sqlite_utils", "httpx"}


def test_only_the_store_speaks_sql():
    for package in ("kiosk.journey", "kiosk.ui", "kiosk.domain", "kiosk.sync", "hardware"):
        assert not _top(_imports(package)) & {"sqlite3", "sqlite_utils"}, package


def test_only_sync_and_the_receiver_speak_http():
    for package in ("kiosk.journey", "kiosk.ui", "kiosk.domain", "hardware"):
        assert not _top(_imports(package)) & {"httpx", "http", "urllib"}, package


def test_receiver_shares_only_the_packet_format_and_domain():
    imported = _imports("kiosk.receiver")
    assert not _top(imported) & {"pygame", "pygame_gui", "hardware"}
    assert not {n for n in imported if n.startswith(("kiosk.ui", "kiosk.journey", "kiosk.shell", "kiosk.store"))}
