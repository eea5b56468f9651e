"""Information pages: what SPID is, its levels, where it is used, level-2 apps, lost credentials.

Summarised from the domain notes (``shared/domain/SPID.md`` and its sources); the words are msgids.
"""

from __future__ import annotations

import html

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import INFO_PAGES
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.view import View

TITLE = "Informazioni su SPID"
PAGES = {
    "what": ("Cos'è SPID",
             "SPID è la tua identità digitale: un nome utente e una password per entrare nei servizi pubblici "
             "online. È personale: solo tu puoi usarla. Per i cittadini è gratuita."),
    "levels": ("I livelli",
               "Livello 1: email e password. Livello 2: in più un codice via SMS o da un'app; lo chiedono quasi "
               "tutti i servizi pubblici. Livello 3: in più una carta con chip. I livelli 1 e 2 sono gratuiti."),
    "services": ("Dove si usa",
                 "INPS, Agenzia delle Entrate, fascicolo sanitario, scuola, pagamenti pagoPA, i servizi online "
                 "del Comune e anche molte banche e aziende private."),
    "apps": ("App per il livello 2",
             "Installa sul telefono l'app del tuo gestore di identità, per esempio PosteID di Poste Italiane, "
             "oppure ricevi il codice via SMS. L'app ti chiede di confermare ogni accesso."),
    "recover": ("Credenziali perse",
                "Password dimenticata: tocca «Password dimenticata?» sul sito o nell'app del tuo gestore, che ti "
                "manda un link per crearne una nuova. Telefono cambiato: il gestore ti riconosce di nuovo."),
}


def state_key(view: View) -> tuple:
    return (view.session.info_page,)


def page_key(view: View) -> str:
    """Another information page starts at its own first large-text page."""
    return view.session.info_page


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, m = b.t, b.m
    page = view.session.info_page if view.session.info_page in PAGES else INFO_PAGES[0]
    if m.is_large:  # the page first, then the others to choose from, one a row
        heading, body = PAGES[page]
        col = Column(area, m.gap)
        b.line(t(heading), col, kind="@value", element_id="heading")
        col.add(lambda r: b.text(t(body), r, element_id="page"))  # plain words: they fill each page
        col.y += m.gap
        for name in INFO_PAGES:
            if name != page:
                b.button(f"page:{name}", t(PAGES[name][0]), col.take(m.button_h), intent(Intent.CHOOSE, name),
                         kind="@choice")
        return
    menu_w = round(area.w * 0.34)
    menu = Column(pygame.Rect(area.left, area.top, menu_w, area.h), max(6, m.gap // 2))
    h = max(m.min_touch, min(m.button_h, (area.h - 4 * menu.gap) // len(INFO_PAGES)))
    for name in INFO_PAGES:
        b.button(f"page:{name}", t(PAGES[name][0]), menu.take(h), intent(Intent.CHOOSE, name),
                 kind="@selected" if name == page else "@choice")
    heading, body = PAGES[page]
    right = Column(pygame.Rect(area.left + menu_w + m.gap * 2, area.top, area.w - menu_w - m.gap * 2, area.h), m.gap)
    right.add(lambda r: b.text(f"<b>{html.escape(t(heading))}</b><br>{html.escape(t(body))}", r, kind="@card",
                               is_html=True, element_id="page"))
