"""A gate stopped the journey: why, and what to do."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "Non possiamo continuare"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, reason = b.t, view.session.ineligible_reason or "unknown"
    col = Column(area, b.m.gap)
    col.add(lambda r: b.text(t.message("reason." + reason), r, kind="@card", element_id="reason"))
    col.add(lambda r: b.text(t.message("todo." + reason), r, element_id="todo"))
    col.add(lambda r: b.text(t("I dati che hai inserito verranno cancellati."), r))
    primary(b, "finish", t("Ho capito"), intent(Intent.FINISH))
