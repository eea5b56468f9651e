"""The doctor's checks of what only a Raspberry Pi has: the display driver, the GPIO pin factory, the camera
stack and the udev rules. They say plainly what is in use, so a technician on a Pi (where none of this
can be tested from a desk) sees at once whether the kiosk really draws through KMS/DRM, drives the pins
through lgpio, films through picamera2/libcamera and reaches its devices through the udev rules.

On a desk or the demo the same checks report the simulated parts (``dummy`` video, ``MockFactory``,
the ``sim`` camera) as such; on an appliance (``is_appliance``) a simulated part is a failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"

UDEV_RULES = Path("/etc/udev/rules.d/60-sportello.rules")
# device nodes the kiosk opens, by what they are for (globs under /dev)
DEVICE_NODES = {
    "display": ("dri/card*", "dri/renderD*"),
    "gpio": ("gpiochip*",),
    "camera": ("video*", "media*", "dma_heap/*"),
    "printer": ("usb/lp*", "ttyUSB*", "ttyACM*"),
    "touch": ("input/event*",),
}
SIMULATED_FACTORIES = {"MockFactory"}
SIMULATED_CAMERAS = {"SimCamera", "FilesCamera"}


def sdl_driver_in_use() -> str | None:
    """The SDL video driver this process draws with, when its display is up (the kiosk's own process:
    the service mode's doctor page); None in a separate ``kiosk doctor`` process."""
    pygame = sys.modules.get("pygame")
    if pygame is None or not pygame.display.get_init():
        return None
    return pygame.display.get_driver()


def check_display(*, is_appliance: bool, in_kiosk: bool, dev: Path = Path("/dev")) -> "Check":
    """The SDL video driver the kiosk draws with (``in_kiosk``: this is the kiosk's process), else what a
    kiosk started now would need: ``SDL_VIDEODRIVER=kmsdrm`` and a DRM device."""
    from kiosk.appliance.doctor import Check

    in_use = sdl_driver_in_use() if in_kiosk else None
    requested = os.environ.get("SDL_VIDEODRIVER", "")
    cards = sorted(p.name for p in dev.glob("dri/card*"))
    data = {"sdl_driver": in_use, "requested": requested or None, "drm_devices": cards}
    if in_use is not None:
        if is_appliance and in_use != "kmsdrm":
            return Check("display", FAIL, f"SDL video driver in use: {in_use}, not kmsdrm: the kiosk is not "
                         "drawing full screen on the Pi's display (SDL_VIDEODRIVER=kmsdrm in the unit)", data)
        return Check("display", OK, f"SDL video driver in use: {in_use}", data)
    if is_appliance:
        if not cards:
            return Check("display", FAIL, "no DRM device (/dev/dri/card*): kmsdrm cannot draw; enable the KMS "
                         "driver (dtoverlay=vc4-kms-v3d in /boot/firmware/config.txt)", data)
        if requested != "kmsdrm":
            return Check("display", WARN, f"SDL_VIDEODRIVER is {requested or 'unset'}, the unit sets kmsdrm; "
                         f"DRM devices {', '.join(cards)} present (the driver in use shows in service mode)", data)
        return Check("display", OK, f"kmsdrm requested; DRM devices {', '.join(cards)} present (the driver "
                     "in use shows in service mode)", data)
    return Check("display", OK, f"SDL video driver {requested or 'chosen by SDL'} (not an appliance: no KMS "
                 "needed)", data)


def pin_factory_name(panel) -> str | None:
    factory = getattr(panel, "factory", None)
    return None if factory is None else type(factory).__name__


def describe_gpio(panel, *, is_appliance: bool) -> tuple[str, str, dict]:
    """(status, detail prefix, data) about the pin factory the panel drives its pins through."""
    name = pin_factory_name(panel)
    chips = sorted(p.name for p in Path("/dev").glob("gpiochip*"))
    data = {"pin_factory": name, "gpiochips": chips}
    if name in SIMULATED_FACTORIES:
        if is_appliance:
            return FAIL, f"simulated pins ({name}) on an appliance: set [hardware] panel = \"gpio\"", data
        return OK, f"pin factory {name} (simulated)", data
    if name == "LGPIOFactory":
        return OK, f"pin factory lgpio ({name}, {', '.join(chips) or 'no /dev/gpiochip*'})", data
    return OK, f"pin factory {name or 'unknown'}", data


def describe_camera(camera, *, is_appliance: bool) -> tuple[str, str, dict]:
    """(status, detail prefix, data) about the camera backend and, for picamera2, libcamera's camera."""
    backend = type(camera).__name__
    data = {"backend": backend}
    model = getattr(camera, "model", None)
    if model:
        data["model"] = model
        data["autofocus"] = bool(getattr(camera, "has_autofocus", False))
    if backend in SIMULATED_CAMERAS:
        if is_appliance:
            return FAIL, f"simulated camera ({backend}) on an appliance: set [hardware] camera = \"picamera2\"", data
        return OK, f"camera backend {backend} (simulated)", data
    if backend == "PiCamera":
        focus = ", autofocus" if data.get("autofocus") else ""
        return OK, f"camera backend picamera2/libcamera ({model or 'model unknown'}{focus})", data
    return OK, f"camera backend {backend}", data


def check_udev(*, is_appliance: bool, rules: Path = UDEV_RULES, dev: Path = Path("/dev")) -> "Check":
    """The udev rules are installed and every device node the kiosk uses is readable and writable by
    this user (what the rules and the unit's supplementary groups are for)."""
    from kiosk.appliance.doctor import Check

    nodes = {}
    for kind, patterns in DEVICE_NODES.items():
        for pattern in patterns:
            for path in sorted(dev.glob(pattern)):
                want = os.R_OK if kind == "touch" else os.R_OK | os.W_OK
                nodes[str(path)] = {"for": kind, "access": os.access(path, want)}
    denied = sorted(p for p, n in nodes.items() if not n["access"])
    data = {"rules": str(rules), "rules_installed": rules.is_file(), "nodes": nodes, "denied": denied}
    if not rules.is_file():
        if is_appliance:
            return Check("udev", FAIL, f"udev rules missing ({rules}): run scripts/install", data)
        return Check("udev", WARN, f"udev rules not installed ({rules}; fine on a desk or the demo)", data)
    if denied:
        status = FAIL if is_appliance else WARN
        return Check("udev", status, f"no access to {', '.join(denied[:4])}"
                     f"{' …' if len(denied) > 4 else ''}: check the rules and the user's groups", data)
    return Check("udev", OK, f"udev rules installed; {len(nodes)} device node(s) accessible", data)
