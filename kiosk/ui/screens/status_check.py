"""Where is my enrollment? Type the receipt's reference (or show its QR to the camera), see the answer."""

from __future__ import annotations

import html

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Controlla la tua pratica"
# status -> (what it means, what to do next): msgids
OUTCOMES = {
    "received": ("La tua iscrizione è arrivata ed è in attesa di verifica.",
                 "Il gestore di identità la controlla entro 48 ore lavorative e ti scrive per email."),
    "accepted": ("La tua iscrizione è stata approvata.",
                 "Controlla la tua email: c'è la seconda metà del codice per attivare SPID a casa."),
    "rejected": ("La tua iscrizione non è stata approvata.",
                 "Puoi rifare l'iscrizione qui, correggendo quello che è indicato. Se hai dubbi, tocca «Aiuto»."),
    "activated": ("La tua identità SPID è attiva.", "Puoi già entrare nei servizi online con SPID."),
    "unknown": ("Non troviamo una pratica con questo numero.",
                "Controlla il numero sulla ricevuta e riprova, oppure chiedi al personale."),
    "offline": ("In questo momento non riusciamo a controllare.",
                "Riprova più tardi, oppure chiedi al personale del Comune."),
}
UNKNOWN_REASON = "Il motivo te lo spiega il personale del Comune."


def state_key(view: View) -> tuple:
    return (view.session.status, view.session.status_reasons)


def reason_words(b: Builder, code: str) -> str:
    return b.t.find(f"status_reason.{code}") or b.t(UNKNOWN_REASON)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    if s.status:
        meaning, next_step = OUTCOMES[s.status]
        col = Column(area, m.gap)
        body = f"<b>{html.escape(t(meaning))}</b><br>"
        for code in s.status_reasons if s.status == "rejected" else ():
            body += f"•  {html.escape(reason_words(b, code))}<br>"
        body += html.escape(t(next_step))
        col.add(lambda r: b.text(body, r, kind="@card", is_html=True, element_id="status"))
        primary(b, "again", t("Un altro numero"), intent(Intent.CHOOSE, "again"))
        return
    typing_area(b, area, [FieldSpec("status_reference", "Numero della pratica", "",
                                    s.fields.get("status_reference", ""), max_length=14, keyboard="code")])
    back_w = round(230 * m.scale * m.text_factor)
    y = m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2
    x = m.margin + back_w + m.gap * 2
    scan_w = min(round(400 * m.scale * m.text_factor), m.width - x - m.gap - round(380 * m.scale * m.text_factor)
                 - m.margin)
    b.button("choose:scan", t("Leggi il QR"), pygame.Rect(x, y, scan_w, m.button_h),
             intent(Intent.CHOOSE, "scan"), is_enabled=not s.is_busy)
    primary(b, "next", t("Controlla") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
