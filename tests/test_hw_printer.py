"""Contract of the Printer port, the simulator's world side, and the ESC/POS renderer."""

import os
import pathlib
import random

import numpy as np
import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageOps

from hardware import registry
from hardware.errors import CoverOpen, PaperOut, PrinterError, PrinterOffline
from hardware.printer.port import PrinterStatus
from hardware.printer.render import render
from hardware.printer.sim import SimPrinter

REAL_HW = os.environ.get("SPORTELLO_REAL_HW") == "1"
SIMULATED: list[str] = ["sim"]
REAL: list[str] = []  # "escpos-usb" once it exists
BACKENDS = [pytest.param(n, id=n) for n in SIMULATED] + [
    pytest.param(n, id=n, marks=pytest.mark.skipif(not REAL_HW, reason="SPORTELLO_REAL_HW=1"))
    for n in REAL
]
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "var" / "test-artifacts"
URL = "https://sportello.example.it/r/7f3a91c2"
ACCENTS = "àèéìòù ÀÈÉÌÒÙ €"


@pytest.fixture(params=BACKENDS)
def printer(request):
    with registry.create("printer", request.param) as device:
        yield device


@pytest.fixture
def world(printer):
    if not isinstance(printer, SimPrinter):
        pytest.skip("needs a world side for this backend")
    return printer


def receipt(profile="TM-T20II", *, reference="7f3a-91c2"):
    p = Dummy(profile=profile)
    p.charcode("CP858")
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.text("SPORTELLO SPID\n")
    p.set(normal_textsize=True, align="center", bold=False)
    p.text("Comune di Roma - Ufficio anagrafe\n")
    p.text("12/03/2025 10:42\n")
    p.set(align="left")
    p.text("-" * 48 + "\n")
    p.text(f"{ACCENTS}\n")
    p.text("Città: Roma   Identità digitale: SPID\n")
    p.text("Costo del servizio:            € 0,00\n")
    p.set(bold=True)
    p.text("Codice di attivazione (prima metà):\n")
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.text("Ab3$xK\n")
    p.set(normal_textsize=True, align="left", bold=False)
    p.text(f"Riferimento: {reference}\n")
    p.text("La seconda metà arriverà per e-mail.\n\n")
    p.set(align="center")
    p.qr(URL, native=True, size=6)
    p.text("Grazie e arrivederci!\n")
    p.cut()
    return p.output


def test_status_and_profile(printer):
    assert printer.status() == PrinterStatus(is_online=True, paper="ok", is_cover_open=False)
    assert (printer.profile, printer.columns, printer.width_px) == ("TM-T20II", 48, 576)


def test_58mm_profile_and_unknown_profile():
    assert (SimPrinter(profile="POS-5890").columns, SimPrinter(profile="POS-5890").width_px) == (32, 384)
    with pytest.raises(PrinterError, match="unknown python-escpos printer profile"):
        SimPrinter(profile="TM-NOPE")


def test_prints_byte_exact(printer, world):
    data = receipt()
    printer.print_bytes(data)
    printer.print_bytes(data)
    assert world.receipts == [data, data]


def test_refuses_when_it_cannot_start(printer, world):
    world.unplug()
    with pytest.raises(PrinterOffline, match="offline"):
        printer.print_bytes(b"x\n")
    world.plug()
    world.open_cover()
    with pytest.raises(CoverOpen):
        printer.print_bytes(b"x\n")
    world.close_cover()
    world.set_paper("out")
    with pytest.raises(PaperOut):
        printer.print_bytes(b"x\n")
    world.set_paper("near_end")
    printer.print_bytes(b"x\n")
    assert printer.status().paper == "near_end"
    assert world.receipts == [b"x\n"]


def test_paper_out_mid_receipt_keeps_receipts_whole(printer, world):
    first = receipt(reference="first")
    printer.print_bytes(first)
    world.fail_after(len(first) + 100)
    printer.print_bytes(first)
    with pytest.raises(PaperOut):
        printer.print_bytes(receipt(reference="second"))
    assert world.receipts == [first, first]
    assert len(world.partial) == 1 and len(world.partial[0]) == 100
    assert printer.status().paper == "out"
    world.set_paper("ok")
    printer.print_bytes(first)
    assert len(world.receipts) == 3


def test_offline_at_start():
    printer = SimPrinter()
    printer.unplug()
    with pytest.raises(PrinterOffline, match="not found"):
        printer.start()


def test_rendered_receipt_is_readable_and_its_qr_decodes(printer, world):
    printer.print_bytes(receipt())
    image = render(world.receipts[-1], width_px=printer.width_px)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "hw_receipt.png")
    assert image.width == 576 and image.height > 500
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [URL]


def test_render_decodes_the_selected_code_page():
    euro_858 = render(b"\x1bt\x13" + "€ àÈ\n".encode("cp858"))
    euro_1252 = render(b"\x1bt\x10" + "€ àÈ\n".encode("cp1252"))
    same_bytes_cp437 = render("€ àÈ\n".encode("cp858"))
    assert euro_858.tobytes() == euro_1252.tobytes()
    assert euro_858.tobytes() != same_bytes_cp437.tobytes()


def test_render_styles_change_the_ink():
    def ink(data):
        return int((np.asarray(render(data)) == 0).sum())

    plain = ink(b"SPID\n")
    assert ink(b"\x1bE\x01SPID\n") > plain
    assert ink(b"\x1d!\x11SPID\n") > 3 * plain
    centered, left = render(b"\x1ba\x01SPID\n"), render(b"SPID\n")
    assert ImageOps.invert(centered).getbbox()[0] > ImageOps.invert(left).getbbox()[0] + 200


def test_render_58mm_wraps_long_lines():
    narrow = render(b"x" * 40 + b"\n", width_px=384)
    wide = render(b"x" * 40 + b"\n", width_px=576)
    assert narrow.width == 384 and narrow.height > wide.height


def test_render_raster_image_and_cut():
    p = Dummy(profile="TM-T20II")
    p.image(Image.new("1", (64, 32), 0), impl="bitImageRaster")
    p.cut()
    image = render(p.output)
    assert (np.asarray(image) == 0).sum() >= 64 * 32


def test_render_survives_garbage():
    rng = random.Random(1234)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        render(data, width_px=384)
    render(b"\x1b")
    render(b"\x1d(k\xff\xff1P0abc")
