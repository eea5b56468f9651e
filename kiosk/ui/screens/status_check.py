"""Where is my enrollment? Type the receipt's reference (or show its QR to the camera), see the answer."""

from __future__ import annotations

import html

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import LARGE_BUTTON_PADDING, Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Controlla la tua pratica"
# status -> (what it means, what to do next): msgids
OUTCOMES = {
    "received": ("La tua iscrizione è arrivata ed è in attesa di verifica.",
                 "Il gestore di identità la controlla entro 48 ore lavorative e ti scrive per email."),
    "accepted": ("La tua iscrizione è stata approvata.",
                 "Ora il gestore crea la tua identità SPID, poi ti manda un'email con la seconda metà del codice."),
    "provisioned": ("La tua identità SPID è stata creata presso il gestore.",
                    "Tra poco ricevi un'email con la seconda metà del codice per attivare SPID."),
    "email_sent": ("Ti abbiamo mandato l'email per attivare SPID.",
                   "Nell'email c'è la seconda metà del codice; la prima è sulla ricevuta. Attiva SPID da casa entro "
                   "30 giorni. Non la trovi? Guarda anche nella posta indesiderata."),
    "rejected": ("La tua iscrizione non è stata approvata.",
                 "Puoi rifare l'iscrizione qui, correggendo quello che è indicato. Se hai dubbi, tocca «Aiuto»."),
    "activated": ("La tua identità SPID è attiva.", "Puoi già entrare nei servizi online con SPID."),
    "unknown": ("Non troviamo una pratica con questo numero.",
                "Controlla il numero sulla ricevuta e riprova, oppure chiedi al personale."),
    "offline": ("In questo momento non riusciamo a controllare.",
                "Riprova più tardi, oppure chiedi al personale del Comune."),
}
# the way an enrollment goes, in order: the screen ticks the stages reached
STAGES = (("received", "Iscrizione arrivata"), ("accepted", "Iscrizione approvata"),
          ("provisioned", "Identità creata dal gestore"), ("email_sent", "Email di attivazione inviata"),
          ("activated", "SPID attivo"))
UNKNOWN_REASON = "Il motivo te lo spiega il personale del Comune."


def has_keyboard(view: View) -> bool:
    return not view.session.status  # the answer has no fields


def state_key(view: View) -> tuple:
    return (view.session.status, view.session.status_reasons)


def reason_words(b: Builder, code: str) -> str:
    return b.t.find(f"status_reason.{code}") or b.t(UNKNOWN_REASON)


def stages_fitting(b: Builder, area: pygame.Rect, top: int, lines: list[str], reached: str) -> None:
    """The stages under the card: in one column, else two side by side (large text), else only the stage
    reached, else none (the card above already says it): never over the buttons."""
    half_w = (area.w - b.m.gap) // 2
    for columns in ([lines], [lines[:3], lines[3:]], [[reached]]):
        width = area.w if len(columns) == 1 else half_w
        boxes = [b.text("<br>".join(part), pygame.Rect(area.left + i * (half_w + b.m.gap), top, width, -1),
                        kind="@body", is_html=True, element_id="stages" if i == 0 else "stages_more")
                 for i, part in enumerate(columns)]
        if all(box.rect.bottom <= area.bottom for box in boxes):
            return
        for box in boxes:
            box.kill()
            b.out.by_id.pop("stages" if box is boxes[0] else "stages_more", None)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    if s.status:
        meaning, next_step = OUTCOMES[s.status]
        col = Column(area, m.gap)
        body = f"<b>{html.escape(t(meaning))}</b>"
        for code in s.status_reasons if s.status == "rejected" else ():
            body += f"<br>•  {html.escape(reason_words(b, code))}"
        card = col.add(lambda r: b.text(f"{body}<br>{html.escape(t(next_step))}", r, kind="@card", is_html=True,
                                        element_id="status"))
        if card.rect.bottom > area.bottom and s.status_reasons:  # each reason says what to do: enough
            card.kill()
            col = Column(area, m.gap)
            col.add(lambda r: b.text(body, r, kind="@card", is_html=True, element_id="status"))
        reached = [name for name, _ in STAGES].index(s.status) if s.status in dict(STAGES) else -1
        if reached >= 0:
            done, todo = ("✓", "○") if b.has_check_mark else ("[X]", "[  ]")
            lines = [f"{done if i <= reached else todo}  {html.escape(t(words))}"
                     for i, (_, words) in enumerate(STAGES)]
            stages_fitting(b, area, col.y, lines, f"{done}  {html.escape(t(STAGES[reached][1]))}  "
                                                  f"({reached + 1}/{len(STAGES)})")
        primary(b, "again", t("Un altro numero"), intent(Intent.CHOOSE, "again"))
        return
    typing_area(b, area, [FieldSpec("status_reference", "Numero della pratica", "",
                                    s.fields.get("status_reference", ""), max_length=14, keyboard="code")])
    y = m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2
    if m.is_large:  # between back and "check", as wide as its words
        font = b.manager.get_theme().get_font(["button"])
        words = t("Leggi il QR")
        w = font.size(b.words(words))[0] + LARGE_BUTTON_PADDING
        need = font.size(b.words(t("Controlla") + "  ›"))[0] + LARGE_BUTTON_PADDING
        if b.bar_left + w + m.gap + need > m.width - m.margin:  # the two do not fit: the code's own name
            words = "QR"
            w = max(m.min_touch * 2, font.size(words)[0] + LARGE_BUTTON_PADDING)
        b.fixed(b.button("choose:scan", words, pygame.Rect(b.bar_left, y, w, m.button_h),
                         intent(Intent.CHOOSE, "scan"), is_enabled=not s.is_busy))
        b.bar_left += w + m.gap
        primary(b, "next", t("Controlla") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
        return
    back_w = round(230 * m.scale * m.text_factor)
    x = m.margin + back_w + m.gap * 2
    scan_w = min(round(400 * m.scale * m.text_factor), m.width - x - m.gap - round(380 * m.scale * m.text_factor)
                 - m.margin)
    b.button("choose:scan", t("Leggi il QR"), pygame.Rect(x, y, scan_w, m.button_h),
             intent(Intent.CHOOSE, "scan"), is_enabled=not s.is_busy)
    primary(b, "next", t("Controlla") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
