"""The technicians' test page: code page check, a QR, the printer's profile and columns, a cut."""

from __future__ import annotations

from datetime import datetime

from kiosk.receipt import CODE_PAGE

CHECK_LINE = "àèéìòù ÀÈÉÌÒÙ €"
QR_TEXT = "SPORTELLO:TEST-PAGE"


def build_test_page(*, profile: str, columns: int, kiosk_name: str, printed_at: datetime) -> bytes:
    """ESC/POS bytes of one test page, laid out on python-escpos like the receipt (CP858 set once)."""
    from escpos.printer import Dummy  # imported when a page is built: its profile data is large

    p = Dummy(profile=profile)
    p.hw("INIT")
    p.charcode(CODE_PAGE)
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text("TEST PAGE\n")
    p.set(align="center", bold=False, normal_textsize=True)
    p.text(f"{kiosk_name}\n{printed_at.strftime('%d/%m/%Y %H:%M')}\n\n")
    p.set(align="left", bold=True, normal_textsize=True)
    p.text(f"Code page {CODE_PAGE}:\n")
    p.set(align="left", bold=False, normal_textsize=True)
    p.text(CHECK_LINE + "\n\n")
    p.text(f"Profile: {profile}\nColumns: {columns}\n")
    p.text("".join(str(i % 10) for i in range(1, columns + 1)) + "\n")
    p.text("-" * columns + "\n\n")
    p.qr(QR_TEXT, size=6, native=False, center=True)
    p.set(align="center", bold=False, normal_textsize=True)
    p.text("The QR above must scan as " + QR_TEXT + "\n")
    p.cut()
    return bytes(p.output)
