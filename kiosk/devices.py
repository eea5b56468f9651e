"""The ``Hardware`` bundle: the four devices the configuration picks, passed explicitly to the shell."""

from __future__ import annotations

from dataclasses import dataclass

from hardware import registry
from hardware.camera.port import Camera
from hardware.card.port import CardReader
from hardware.panel.port import Panel
from hardware.printer.port import Printer


@dataclass
class Hardware:
    card_reader: CardReader
    camera: Camera
    printer: Printer
    panel: Panel

    @classmethod
    def from_config(cls, config) -> Hardware:
        hw = config.hardware
        return cls(
            card_reader=registry.create("card", hw.card_reader, **_card_options(config)),
            camera=registry.create("camera", hw.camera, **_camera_options(config)),
            printer=registry.create("printer", hw.printer, **_printer_options(config)),
            panel=registry.create("panel", hw.panel, **_panel_options(config)),
        )

    def devices(self) -> list:
        return [self.card_reader, self.camera, self.printer, self.panel]

    def start(self) -> None:
        """Open and self-test every device; on a failure close the ones already open and re-raise."""
        started = []
        try:
            for device in self.devices():
                device.start()
                started.append(device)
        except BaseException:
            for device in reversed(started):
                device.close()
            raise

    def close(self) -> None:
        for device in reversed(self.devices()):
            device.close()

    def __enter__(self) -> Hardware:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _card_options(config) -> dict:
    card = getattr(config, "card", None)  # test doubles may carry only a hardware section
    return card.options(config.hardware.card_reader) if card is not None else {}


def _camera_options(config) -> dict:
    camera = getattr(config, "camera", None)  # test doubles may carry only a hardware section
    return camera.options(config.hardware.camera) if camera is not None else {}


def _printer_options(config) -> dict:
    printer = getattr(config, "printer", None)  # test doubles may carry only a hardware section
    return printer.options(config.hardware.printer) if printer is not None else {}


def _panel_options(config) -> dict:
    section = getattr(config, "panel", None)  # test doubles may carry only a hardware section
    if section is None:
        return {}
    from hardware.panel.port import PanelPins

    return {"pins": PanelPins(**section.model_dump())}
