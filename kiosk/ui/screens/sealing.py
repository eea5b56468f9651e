"""Sealing and saving: nothing to do but wait (or retry when saving failed)."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "Salvataggio in corso"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t = view.session, b.t
    col = Column(area, b.m.gap)
    if s.error:
        col.add(lambda r: b.text(t("I tuoi dati sono ancora qui: nulla è perso. Tocca «Riprova» "
                                   "oppure chiedi aiuto."), r))
        primary(b, "next", t("Riprova"), intent(Intent.NEXT))
    else:
        col.add(lambda r: b.text(t("Stiamo salvando la tua iscrizione in modo sicuro. Attendi qualche secondo, "
                                   "non serve toccare nulla."), r, kind="@big", element_id="status"))
