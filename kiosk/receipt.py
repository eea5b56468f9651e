"""The receipt, laid out once on python-escpos and translated; the printer port only gets the bytes.

Nothing personal is printed (receipts get lost): the town hall, the time, the enrollment reference
as text and QR, the first half of the activation code, and what happens next.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

CODE_PAGE = "CP858"  # set once: àèéìòù ÀÈÉÌÒÙ and €, never switched mid-line
QR_PREFIX = "SPORTELLO:"

TEXTS: dict[str, dict[str, str]] = {
    "it": {
        "title": "Richiesta SPID registrata",
        "date": "Data",
        "reference": "Riferimento",
        "code": "PRIMA METÀ DEL CODICE DI ATTIVAZIONE",
        "next": "Riceverà la seconda metà del codice per email, dopo la verifica della richiesta. "
        "Il codice è valido 30 giorni: lo usi per attivare SPID da casa.",
        "keep": "Conservi questa ricevuta e non la mostri a nessuno.",
        "help": "Per aiuto: chieda allo sportello del Comune.",
        "status": "Stato della richiesta: inquadri il codice QR al chiosco.",
    },
    "en": {
        "title": "SPID request registered",
        "date": "Date",
        "reference": "Reference",
        "code": "FIRST HALF OF THE ACTIVATION CODE",
        "next": "You will receive the second half of the code by email once your request is checked. "
        "The code is valid for 30 days: use it to activate SPID from home.",
        "keep": "Keep this receipt and show it to nobody.",
        "help": "For help: ask at the town hall desk.",
        "status": "Request status: scan the QR code at the kiosk.",
    },
    "de": {
        "title": "SPID-Antrag registriert",
        "date": "Datum",
        "reference": "Referenz",
        "code": "ERSTE HÄLFTE DES AKTIVIERUNGSCODES",
        "next": "Die zweite Hälfte des Codes erhalten Sie per E-Mail, sobald Ihr Antrag geprüft ist. "
        "Der Code ist 30 Tage gültig: Aktivieren Sie SPID damit von zu Hause.",
        "keep": "Bewahren Sie diesen Beleg auf und zeigen Sie ihn niemandem.",
        "help": "Hilfe: Fragen Sie am Schalter der Gemeinde.",
        "status": "Antragsstatus: QR-Code am Kiosk scannen.",
    },
    "fr": {
        "title": "Demande SPID enregistrée",
        "date": "Date",
        "reference": "Référence",
        "code": "PREMIÈRE MOITIÉ DU CODE D'ACTIVATION",
        "next": "Vous recevrez la seconde moitié du code par e-mail après la vérification de votre demande. "
        "Le code est valable 30 jours : utilisez-le pour activer SPID depuis chez vous.",
        "keep": "Conservez ce reçu et ne le montrez à personne.",
        "help": "Besoin d'aide : adressez-vous au guichet de la mairie.",
        "status": "État de la demande : scannez le code QR au kiosque.",
    },
    "sl": {
        "title": "Zahteva SPID je zabeležena",
        "date": "Datum",
        "reference": "Sklic",
        "code": "PRVA POLOVICA AKTIVACIJSKE KODE",
        "next": "Drugo polovico kode boste prejeli po e-pošti, ko bo zahteva preverjena. "
        "Koda velja 30 dni: z njo aktivirajte SPID od doma.",
        "keep": "Shranite to potrdilo in ga ne pokažite nikomur.",
        "help": "Pomoč: vprašajte na okencu občine.",
        "status": "Stanje zahteve: skenirajte kodo QR na kiosku.",
    },
}


def _logo_image(path: Path, *, max_width: int):
    """The town hall's logo in black and white, at most half the paper's width."""
    from PIL import Image

    with Image.open(path) as source:
        image = source.convert("RGBA")
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    image = Image.alpha_composite(background, image).convert("L")
    image.thumbnail((max_width, max_width))
    return image.point(lambda v: 0 if v < 160 else 255).convert("1")


def qr_content(enrollment_id: str) -> str:
    return QR_PREFIX + enrollment_id


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines) + "\n"


def build_receipt(
    *, kiosk_name: str, enrollment_id: str, reference: str, activation_first_half: str, language: str,
    printed_at: datetime, profile: str = "TM-T20II", logo: Path | None = None,
) -> bytes:
    """ESC/POS bytes of one whole receipt (the printer port sends them in one job)."""
    from escpos.printer import Dummy  # imported on first print: its profile data is large

    t = TEXTS.get(language, TEXTS["it"])
    p = Dummy(profile=profile)
    columns = int(p.profile.profile_data["fonts"]["0"]["columns"])
    p.hw("INIT")
    p.charcode(CODE_PAGE)
    if logo is not None:
        p.image(_logo_image(logo, max_width=columns * 6), center=True)
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(_wrap(kiosk_name, columns // 2))
    p.set(align="center", bold=True, normal_textsize=True)
    p.text(_wrap(t["title"], columns))
    p.set(align="center", bold=False, normal_textsize=True)
    p.text(f"{t['date']}: {printed_at.strftime('%d/%m/%Y %H:%M')}\n\n")
    p.qr(qr_content(enrollment_id), size=8, native=False, center=True)
    p.set(align="center", bold=True, normal_textsize=True)
    p.text(f"{t['reference']}: {reference}\n\n")
    p.text(_wrap(t["code"], columns))
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(" ".join(activation_first_half) + "\n\n")
    p.set(align="left", bold=False, normal_textsize=True)
    p.text(_wrap(t["next"], columns))
    p.text("\n")
    p.text(_wrap(t["status"], columns))
    p.text(_wrap(t["help"], columns))
    p.set(align="center", bold=True, normal_textsize=True)
    p.text("\n" + _wrap(t["keep"], columns))
    p.cut()
    return bytes(p.output)
