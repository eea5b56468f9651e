"""The python-escpos backends: network and serial for real, against fake printers on 127.0.0.1 and on a
pseudo-terminal; USB and CUPS (no device here) by their clear errors."""

import pytest

from fake_escpos import FakeEscposPrinter, FakeSerialPrinter
from hardware import registry
from hardware.errors import BackendOptionInvalid, CoverOpen, PaperOut, PrinterError, PrinterOffline
from hardware.printer.escpos import CupsPrinter, NetworkPrinter, SerialPrinter, UsbPrinter
from kiosk.receipt import build_receipt

from datetime import datetime


@pytest.fixture(params=["network", "serial"])
def connection(request):
    """(backend, fake printer, backend options): python-escpos's ``Network`` against a fake on 127.0.0.1,
    its ``Serial`` (pyserial) against a fake at the far end of a real pseudo-terminal."""
    if request.param == "network":
        fake = FakeEscposPrinter().start()
        options = {"host": "127.0.0.1", "port": fake.port, "timeout": 0.3}
    else:
        fake = FakeSerialPrinter().start()
        options = {"device": fake.device, "timeout": 1.0}
    yield f"escpos-{request.param}", fake, options
    fake.stop()


@pytest.fixture
def fake(connection):
    return connection[1]


@pytest.fixture
def printer(connection):
    backend, _fake, options = connection
    with registry.create("printer", backend, **options) as device:
        yield device


def a_receipt(profile="TM-T20II") -> bytes:
    return build_receipt(kiosk_name="Comune di Prova", enrollment_id="e-1", reference="7F3A-91C2",
                         activation_first_half="Ab3xK9", language="it", printed_at=datetime(2026, 3, 12, 10, 42),
                         profile=profile)


def test_every_escpos_backend_is_registered_lazily():
    assert {"escpos-usb", "escpos-serial", "escpos-network", "escpos-cups"} <= set(registry.known("printer"))
    assert registry.resolve("printer", "escpos-usb") is UsbPrinter
    assert registry.resolve("printer", "escpos-serial") is SerialPrinter
    assert registry.resolve("printer", "escpos-cups") is CupsPrinter


def test_a_receipt_arrives_byte_exact(printer, fake):
    data = a_receipt()
    printer.print_bytes(data)
    printer.close()
    received = fake.wait_for(data)
    assert received.endswith(data)
    queries = received[: -len(data)]
    assert queries and set(queries.split(b"\x10\x04")[1:]) <= {b"\x01", b"\x02", b"\x04"}


def test_status_reads_paper_and_cover(printer, fake):
    assert printer.status().paper == "ok" and printer.status().is_online
    fake.paper = "near_end"
    assert printer.status().paper == "near_end"
    fake.paper = "out"
    assert printer.status().paper == "out"
    fake.paper, fake.is_cover_open = "ok", True
    assert printer.status().is_cover_open


def test_paper_out_refuses_the_receipt(printer, fake):
    fake.paper = "out"
    with pytest.raises(PaperOut, match="paper"):
        printer.print_bytes(a_receipt())
    assert not fake.printed


def test_cover_open_refuses_the_receipt(printer, fake):
    fake.is_cover_open = True
    with pytest.raises(CoverOpen, match="cover"):
        printer.print_bytes(a_receipt())


def test_a_silent_printer_is_offline_not_paper_ok(printer, fake):
    fake.is_answering = False
    status = printer.status()
    assert not status.is_online
    with pytest.raises(PrinterOffline, match="offline"):
        printer.print_bytes(a_receipt())


def test_unplugged_printer_at_start_names_the_address():
    server = FakeEscposPrinter()
    port = server.port
    server.stop()  # nothing listens there any more
    device = registry.create("printer", "escpos-network", host="127.0.0.1", port=port, timeout=0.3)
    with pytest.raises(PrinterOffline, match=f"127.0.0.1:{port}"):
        device.start()


def test_a_printer_that_never_answers_at_start_is_offline(connection):
    backend, fake, options = connection
    fake.is_answering = False
    device = registry.create("printer", backend, **options)
    with pytest.raises(PrinterOffline, match="does not answer"):
        device.start()


def test_unknown_printer_profile_is_a_clear_error():
    with pytest.raises(PrinterError, match="unknown python-escpos printer profile 'TM-XYZ'"):
        registry.create("printer", "escpos-network", host="127.0.0.1", profile="TM-XYZ")


def test_a_mistyped_option_is_named():
    with pytest.raises(BackendOptionInvalid, match="hots"):
        registry.create("printer", "escpos-network", host="127.0.0.1", hots="x")


def test_absent_usb_printer_names_its_ids():
    device = registry.create("printer", "escpos-usb", vendor_id=0x04B8, product_id=0x0E15)
    with pytest.raises(PrinterOffline, match="USB 04b8:0e15"):
        device.start()


def test_absent_serial_printer_names_its_device(tmp_path):
    device = registry.create("printer", "escpos-serial", device=str(tmp_path / "ttyUSB9"))
    with pytest.raises(PrinterOffline, match="ttyUSB9"):
        device.start()


def test_absent_cups_queue_is_offline():
    device = registry.create("printer", "escpos-cups", queue="receipts")
    with pytest.raises(PrinterOffline, match="CUPS queue receipts"):
        device.start()
