"""The kiosk is frozen: it says why and where to go instead."""

from __future__ import annotations

import pygame

from kiosk.ui.builder import Builder, Column
from kiosk.ui.view import View

TITLE = "Sportello momentaneamente chiuso"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t = b.t
    col = Column(area, b.m.gap)
    col.add(lambda r: b.text(t.message(view.session.frozen_reason or "frozen"), r, kind="@card", element_id="reason"))
    col.add(lambda r: b.text(t("Per attivare SPID rivolgiti all'ufficio anagrafe, oppure torna più tardi. "
                               "Ci scusiamo per il disagio."), r))
