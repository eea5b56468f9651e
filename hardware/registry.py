"""Which backend implements which port, chosen by name from configuration.

Entries are ``"module:Class"`` strings imported only by ``create()``, so a backend with heavy
imports (pyscard, picamera2) costs nothing unless it is the one configured.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from hardware.errors import BackendOptionInvalid, BackendUnknown

T = TypeVar("T")

_BACKENDS: dict[str, dict[str, str | type]] = {
    "card": {"sim": "hardware.card.sim:SimCardReader", "pcsc": "hardware.card.pcsc:PcscCardReader"},
    "camera": {
        "sim": "hardware.camera.sim:SimCamera",
        "files": "hardware.camera.files:FileCamera",
        "opencv": "hardware.camera.opencv:OpenCvCamera",
        "picamera2": "hardware.camera.picamera:PiCamera",
    },
    "printer": {
        "sim": "hardware.printer.sim:SimPrinter",
        "escpos-usb": "hardware.printer.escpos:UsbPrinter",
        "escpos-serial": "hardware.printer.escpos:SerialPrinter",
        "escpos-network": "hardware.printer.escpos:NetworkPrinter",
        "escpos-cups": "hardware.printer.escpos:CupsPrinter",
    },
    "panel": {
        "gpiozero": "hardware.panel.gpio:GpioPanel",
        "mock": "hardware.panel.sim:MockPanel",
    },
}


def ports() -> list[str]:
    """The names of the ports, sorted."""
    return sorted(_BACKENDS)


def known(port: str) -> list[str]:
    """The backend names registered for ``port``, sorted."""
    return sorted(_table(port))


def register(port: str, name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: make the class the backend ``name`` of ``port``."""

    def decorator(cls: type[T]) -> type[T]:
        _add(port, name, cls)
        return cls

    return decorator


def register_path(port: str, name: str, target: str) -> None:
    """Register a backend lazily by ``"module:Class"``; the module is imported by ``create()``."""
    module, sep, attr = target.partition(":")
    if not (module and sep and attr):
        raise ValueError(f"backend target must be 'module:Class', not {target!r}")
    _add(port, name, target)


def resolve(port: str, name: str) -> type:
    """The backend class (importing its module if needed), or ``BackendUnknown``."""
    table = _table(port)
    try:
        target = table[name]
    except KeyError:
        raise BackendUnknown(
            f"unknown {port} backend {name!r} (known: {', '.join(sorted(table))})"
        ) from None
    if isinstance(target, type):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create(port: str, name: str, /, **options: Any) -> Any:
    """A new, not yet started, backend ``name`` of ``port`` built with ``options``.

    An option the backend does not take raises ``BackendOptionInvalid`` naming it.
    """
    cls = resolve(port, name)
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as err:
        raise BackendOptionInvalid(f"{port} backend {name!r}: {err}") from None
    return cls(**options)


def _table(port: str) -> dict[str, str | type]:
    try:
        return _BACKENDS[port]
    except KeyError:
        raise BackendUnknown(f"unknown port {port!r} (known: {', '.join(ports())})") from None


def _add(port: str, name: str, target: str | type) -> None:
    table = _table(port)
    if name in table and table[name] != target:
        raise ValueError(f"{port} backend {name!r} is already registered")
    table[name] = target
