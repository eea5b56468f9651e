"""The backend registry: lazy entries, clear errors, and hardware/ never importing kiosk/."""

import ast
import pathlib
import subprocess
import sys

import pytest

from hardware import registry
from hardware.camera.port import Camera
from hardware.card.port import CardReader
from hardware.errors import BackendOptionInvalid, BackendUnknown, HardwareError
from hardware.panel.port import Panel
from hardware.printer.port import Printer

PORT_CLASSES = {"card": CardReader, "camera": Camera, "printer": Printer, "panel": Panel}
HARDWARE = pathlib.Path(__file__).resolve().parents[1] / "hardware"


@pytest.fixture
def fresh_table(monkeypatch):
    monkeypatch.setattr(registry, "_BACKENDS", {k: dict(v) for k, v in registry._BACKENDS.items()})


def test_ports_and_known_backends():
    assert registry.ports() == ["camera", "card", "panel", "printer"]
    assert registry.known("card") == ["pcsc", "sim"]
    assert registry.known("panel") == ["gpiozero", "mock"]


@pytest.mark.parametrize(("port", "name"), [(p, n) for p in registry.ports() for n in registry.known(p)])
def test_every_entry_resolves_to_its_port(port, name):
    assert issubclass(registry.resolve(port, name), PORT_CLASSES[port])


@pytest.mark.parametrize("port", ["card", "camera", "printer"])
def test_create_sim(port):
    device = registry.create(port, "sim")
    assert isinstance(device, PORT_CLASSES[port])
    assert not device.is_started


def test_unknown_backend_names_the_known_ones():
    with pytest.raises(BackendUnknown, match=r"^unknown card backend 'nfc' \(known: pcsc, sim\)$"):
        registry.create("card", "nfc")
    with pytest.raises(LookupError):
        registry.create("panel", "rpigpio")


def test_unknown_port():
    with pytest.raises(BackendUnknown, match="unknown port 'scanner'"):
        registry.create("scanner", "sim")


def test_option_typo_is_an_error_not_ignored():
    with pytest.raises(BackendOptionInvalid, match="proflie") as info:
        registry.create("printer", "sim", proflie="TM-T20II")
    assert isinstance(info.value, (TypeError, HardwareError))
    assert registry.create("printer", "sim", profile="POS-5890").columns == 32


def test_register_decorator_and_path(fresh_table):
    @registry.register("camera", "fake")
    class FakeCamera(Camera):
        pass

    registry.register_path("camera", "lazy", "hardware.camera.sim:SimCamera")
    assert registry.resolve("camera", "fake") is FakeCamera
    assert registry.known("camera") == ["fake", "files", "lazy", "opencv", "picamera2", "sim"]
    with pytest.raises(ValueError):
        registry.register_path("camera", "sim", "elsewhere:Other")
    with pytest.raises(ValueError):
        registry.register_path("camera", "bad", "no_colon")


def test_importing_registry_imports_no_backend():
    code = (
        "import sys, hardware.registry;"
        "heavy = [m for m in ('hardware.card.sim', 'hardware.panel.gpio', 'escpos', 'gpiozero',"
        " 'cryptography', 'numpy', 'PIL') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HARDWARE.parent)


def test_hardware_never_imports_kiosk():
    for path in HARDWARE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "kiosk" or n.startswith("kiosk.") for n in names), path
