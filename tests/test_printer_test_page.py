"""`kiosk printer test-page`: the technicians' test page, rendered by the simulated printer."""

from datetime import datetime

import zxingcpp
from PIL import Image

from kiosk.cli import main
from kiosk.test_page import CHECK_LINE, QR_TEXT, build_test_page


def test_test_page_sets_cp858_once_and_carries_the_check_line():
    data = build_test_page(profile="TM-T20II", columns=48, kiosk_name="Comune di Prova",
                           printed_at=datetime(2026, 3, 12, 10, 42))
    assert CHECK_LINE.encode("cp858") in data
    assert data.count(b"\x1bt") == 1, "the code page is set once, never switched mid-line"
    assert b"Profile: TM-T20II" in data and b"Columns: 48" in data


def test_cli_renders_the_sim_page_with_a_readable_qr(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["printer", "test-page", "--out", str(tmp_path / "page.png")]) == 0
    assert "test page sent to the sim printer (TM-T20II, 48 columns)" in capsys.readouterr().out
    image = Image.open(tmp_path / "page.png")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [QR_TEXT]


def test_cli_default_out_is_var_test_page_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["printer", "test-page"]) == 0
    assert (tmp_path / "var" / "test-page.png").is_file()


def test_cli_unreachable_network_printer_is_one_clear_line(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text("[hardware]\nprinter = 'escpos-network'\n[printer]\nhost = '127.0.0.1'\nport = 1\n")
    assert main(["--config", str(config), "printer", "test-page"]) != 0
    err = capsys.readouterr().err
    assert "printer at 127.0.0.1:1 not found" in err and len(err.strip().splitlines()) == 1
