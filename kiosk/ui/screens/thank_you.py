"""Thank you, and what happens next."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "Grazie! Hai finito"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t = b.t
    col = Column(area, b.m.gap)
    col.add(lambda r: b.text(t("Quando la tua iscrizione sarà approvata riceverai un'email con la seconda metà "
                               "del codice. Poi, a casa, sceglierai la tua password."), r, kind="@card"))
    col.add(lambda r: b.text(t("Ricordati di riprendere la tessera sanitaria e il documento."), r, kind="@notice"))
    primary(b, "finish", t("Fine"), intent(Intent.FINISH))
