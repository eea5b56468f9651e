"""The receipt: printing, printed, or (printer failed) the same data on screen with a QR code."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "La tua ricevuta"


def state_key(view: View) -> tuple:
    return (view.session.print_status, view.session.print_error, view.receipt_qr)


def qr_surface(text: str, *, size: int, dark=(0, 0, 0), light=(255, 255, 255)) -> pygame.Surface:
    """A QR code drawn module by module (quiet zone included), at most ``size`` pixels square."""
    import qrcode  # only needed when a printer failed

    qr = qrcode.QRCode(border=3, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    box = max(1, size // len(matrix))
    surface = pygame.Surface((box * len(matrix), box * len(matrix)))
    surface.fill(light)
    for y, row in enumerate(matrix):
        for x, is_dark in enumerate(row):
            if is_dark:
                surface.fill(dark, pygame.Rect(x * box, y * box, box, box))
    return surface


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    col = Column(area, m.gap)
    if s.print_status == "printing":
        col.add(lambda r: b.text(t("Sto stampando la ricevuta…"), r, kind="@big", element_id="status"))
        return
    if s.print_status == "failed":
        col.add(lambda r: b.text(t("La stampante non funziona. Fotografa questa schermata o scrivi su un foglio:"),
                                 r, element_id="status"))
        rest = col.rest()
        if m.is_large:  # the QR on its own, the reference and the code under it
            qr_size = min(b.page_room, round(420 * m.scale))
            qr = qr_surface(view.receipt_qr or s.reference, size=qr_size)
            r = col.take(qr.get_height())
            b.image(qr, pygame.Rect(r.left, r.top, qr.get_width(), r.h), element_id="qr")
            for key, value, element_id in (("Numero della pratica", s.reference, "reference"),
                                           ("Prima metà del codice", s.activation_first_half, "activation")):
                b.line(t(key), col, kind="@key_label")
                b.line(value, col, kind="@code", element_id=element_id)
            primary(b, "finish", t("Ho finito") + "  ›", intent(Intent.FINISH))
            return
        qr_size = min(rest.h, round(420 * m.scale))
        qr = qr_surface(view.receipt_qr or s.reference, size=qr_size)
        b.image(qr, pygame.Rect(rest.left, rest.top, qr.get_width(), qr.get_height()), element_id="qr")
        col = Column(pygame.Rect(rest.left + qr_size + m.gap * 2, rest.top, rest.w - qr_size - m.gap * 2, rest.h), 0)
        key_h, code_h = round(40 * m.scale * m.text_factor), round(72 * m.scale * m.text_factor)
        for key, value, element_id in (("Numero della pratica", s.reference, "reference"),
                                       ("Prima metà del codice", s.activation_first_half, "activation")):
            b.label(t(key), col.take(key_h), kind="@key_label")
            b.label(value, col.take(code_h), kind="@code", element_id=element_id, smaller="@value")
    else:
        col.add(lambda r: b.text(t("Prendi la ricevuta dalla stampante e conservala: contiene la prima metà "
                                   "del codice di attivazione. La seconda metà arriverà per email."),
                                 r, kind="@card", element_id="status"))
    primary(b, "finish", t("Ho finito") + "  ›", intent(Intent.FINISH))
