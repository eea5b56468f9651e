"""The one-time code sent to the email or the mobile; "later" skips it (checked later by email link)."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Scrivi il codice che ti abbiamo mandato"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    is_email = s.screen is Screen.EMAIL_CODE
    name = "email_code" if is_email else "mobile_code"
    where = s.email if is_email else s.mobile
    sent = t("Ti abbiamo mandato un codice via email a:") if is_email else t("Ti abbiamo mandato un codice via SMS al:")
    if m.is_large:  # the field and its pad first; where the code went beside them
        rest = typing_area(b, area, [FieldSpec(name, "Codice", "", s.fields.get(name, ""), max_length=8,
                                               keyboard="digits")])
        col = Column(rest, m.gap)
        col.add(lambda r: b.text(f"{sent}  {where}", r))
        b.choice("choose:later", t("Non mi arriva: lo verifico dopo"), col, intent(Intent.CHOOSE, "later"))
        primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT))
        return
    col = Column(area, m.gap)
    col.add(lambda r: b.text(f"{sent}  {where}", r))
    rest = typing_area(b, col.rest(), [FieldSpec(name, "Codice", "", s.fields.get(name, ""), max_length=8,
                                                 keyboard="digits")])
    row = Column(rest, m.gap).take(m.button_h)
    b.button("choose:later", t("Non mi arriva: lo verifico dopo"), row, intent(Intent.CHOOSE, "later"))
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT))
