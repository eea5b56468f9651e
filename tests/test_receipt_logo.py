"""The town hall's logo from config heads the receipt; a missing logo file is a clear config error."""

from __future__ import annotations

from datetime import datetime

import pytest
from PIL import Image, ImageDraw

from hardware.printer.render import render
from kiosk.config import load_config
from kiosk.errors import ConfigError
from kiosk.receipt import build_receipt

ARGS = dict(kiosk_name="Comune di Prova", enrollment_id="01M84D5CVM4V1V7K6NVD2GBS36", reference="6NVD-2GBS-36AB",
            activation_first_half="Ab3$xy", language="it", printed_at=datetime(2026, 11, 23, 10, 0))


def _logo(path):
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))  # transparent background, as logos often have
    ImageDraw.Draw(image).ellipse((100, 20, 300, 180), fill=(10, 60, 140, 255))
    image.save(path)
    return path


def _dark_rows(image: Image.Image, top: int, bottom: int) -> int:
    gray = image.convert("L")
    return sum(1 for y in range(top, bottom) if min(gray.getpixel((x, y)) for x in range(0, gray.width, 4)) < 128)


def test_logo_is_printed_above_the_town_hall_name(tmp_path):
    plain = render(build_receipt(**ARGS))
    with_logo = render(build_receipt(**ARGS, logo=_logo(tmp_path / "logo.png")))
    assert with_logo.height > plain.height + 100, "the logo takes room at the top"
    assert _dark_rows(with_logo, 0, 100) > 50, "a solid logo, not noise"
    assert _dark_rows(plain, 0, 20) == 0


def test_logo_in_config_must_exist(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nlogo = "{tmp_path / "nope.png"}"\n')
    with pytest.raises(ConfigError, match="kiosk.logo: logo file not found"):
        load_config(path)
    path.write_text(f'[kiosk]\nlogo = "{_logo(tmp_path / "logo.png")}"\n')
    assert load_config(path).kiosk.logo.name == "logo.png"
