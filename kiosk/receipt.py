"""The receipt, laid out once on python-escpos and translated; the printer port only gets the bytes.

Nothing personal is printed (receipts get lost): the town hall, the time, the enrollment reference
as text and QR, the first half of the activation code, and what happens next.

Every language the kiosk speaks has its receipt. The code page is CP858, set once: a line it can
hold is printer text; a line it cannot (Romanian ș ț, Slovene č ž, Cyrillic, Arabic, Chinese) is a
picture drawn with the kiosk's fonts at the printer's dot width, so no letter ever prints as '?'.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kiosk import text_fonts

CODE_PAGE = "CP858"  # set once: àèéìòù ÀÈÉÌÒÙ and €, never switched mid-line
QR_PREFIX = "SPORTELLO:"
TEXT_PX = 24  # a line drawn as a picture is as tall as the printer's Font A (12 x 24 dots)
RTL_LANGUAGES = frozenset({"ar"})

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
    "ro": {
        "title": "Cerere SPID înregistrată",
        "date": "Data",
        "reference": "Referință",
        "code": "PRIMA JUMĂTATE A CODULUI DE ACTIVARE",
        "next": "Veți primi a doua jumătate a codului prin e-mail, după verificarea cererii. "
        "Codul este valabil 30 de zile: folosiți-l pentru a activa SPID de acasă.",
        "keep": "Păstrați această chitanță și nu o arătați nimănui.",
        "help": "Pentru ajutor: întrebați la ghișeul primăriei.",
        "status": "Starea cererii: scanați codul QR la chioșc.",
    },
    "sq": {
        "title": "Kërkesa SPID u regjistrua",
        "date": "Data",
        "reference": "Referenca",
        "code": "GJYSMA E PARË E KODIT TË AKTIVIZIMIT",
        "next": "Gjysmën e dytë të kodit do ta merrni me email, pasi të verifikohet kërkesa. "
        "Kodi është i vlefshëm 30 ditë: përdoreni për të aktivizuar SPID nga shtëpia.",
        "keep": "Ruajeni këtë dëftesë dhe mos ia tregoni askujt.",
        "help": "Për ndihmë: pyesni në sportelin e bashkisë.",
        "status": "Gjendja e kërkesës: skanoni kodin QR në kioskë.",
    },
    "uk": {
        "title": "Запит SPID зареєстровано",
        "date": "Дата",
        "reference": "Номер запиту",
        "code": "ПЕРША ПОЛОВИНА КОДУ АКТИВАЦІЇ",
        "next": "Другу половину коду ви отримаєте електронною поштою після перевірки запиту. "
        "Код дійсний 30 днів: використайте його, щоб активувати SPID удома.",
        "keep": "Збережіть цю квитанцію і нікому її не показуйте.",
        "help": "Допомога: зверніться до віконця муніципалітету.",
        "status": "Стан запиту: відскануйте QR-код у кіоску.",
    },
    "ar": {
        "title": "تم تسجيل طلب SPID",
        "date": "التاريخ",
        "reference": "المرجع",
        "code": "النصف الأول من رمز التفعيل",
        "next": "ستتلقى النصف الثاني من الرمز عبر البريد الإلكتروني بعد التحقق من طلبك. "
        "الرمز صالح لمدة 30 يومًا: استخدمه لتفعيل SPID من المنزل.",
        "keep": "احتفظ بهذا الإيصال ولا تُظهره لأحد.",
        "help": "للمساعدة: اسأل في مكتب البلدية.",
        "status": "حالة الطلب: امسح رمز QR في الكشك.",
    },
    "zh": {
        "title": "SPID 申请已登记",
        "date": "日期",
        "reference": "编号",
        "code": "激活码的前半部分",
        "next": "申请审核通过后，您将通过电子邮件收到激活码的后半部分。"
        "激活码有效期为 30 天：请用它在家中激活 SPID。",
        "keep": "请妥善保管本收据，不要给任何人看。",
        "help": "如需帮助：请询问市政厅服务台。",
        "status": "申请状态：请在自助终端扫描二维码。",
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


def fits_code_page(text: str) -> bool:
    """The printer's own font can print ``text`` in CP858 (else it is printed as a picture)."""
    try:
        text.encode(CODE_PAGE)
    except UnicodeEncodeError:
        return False
    return True


def receipt_language(language: str) -> str:
    """The language a receipt for ``language`` is printed in: its own, or Italian when it has none."""
    base = language.replace("-", "_").split("_")[0].lower()
    if base not in TEXTS:
        return "it"
    if not all(fits_code_page(v) for v in TEXTS[base].values()) and not text_fonts.can_draw(TEXTS[base].values()):
        return "en"  # no installed font draws this script: a readable receipt beats one full of boxes
    return base


class _Layout:
    """Writes each line as printer text when CP858 has every letter, else as a picture drawn with the
    kiosk's fonts at the printer's dot width: the code page stays CP858 from start to end, and no letter
    ever comes out as '?'."""

    def __init__(self, printer, *, columns: int, width_px: int, is_rtl: bool) -> None:
        self.p, self.columns, self.width_px, self.is_rtl = printer, columns, width_px, is_rtl

    def write(self, text: str, *, align: str = "left", bold: bool = False, big: bool = False) -> None:
        if fits_code_page(text):
            self.p.set(align=align, bold=bold, double_height=big, double_width=big, normal_textsize=not big)
            self.p.text(_wrap(text, self.columns // 2 if big else self.columns))
            return
        if self.is_rtl and align == "left":
            align = "right"
        picture = text_fonts.draw_paragraph(
            text, width_px=self.width_px, size_px=TEXT_PX * (2 if big else 1), bold=bold, align=align,
            is_rtl=self.is_rtl,
        )
        self.p.image(picture, impl="bitImageRaster")

    def blank(self) -> None:
        self.p.set(align="left", bold=False, normal_textsize=True)
        self.p.text("\n")


def build_receipt(
    *, kiosk_name: str, enrollment_id: str, reference: str, activation_first_half: str, language: str,
    printed_at: datetime, profile: str = "TM-T20II", logo: Path | None = None,
) -> bytes:
    """ESC/POS bytes of one whole receipt (the printer port sends them in one job)."""
    from escpos.printer import Dummy  # imported on first print: its profile data is large

    from hardware.printer.port import profile_info

    language = receipt_language(language)
    t = TEXTS[language]
    info = profile_info(profile)
    p = Dummy(profile=profile)
    out = _Layout(p, columns=info.columns, width_px=info.width_px, is_rtl=language in RTL_LANGUAGES)
    p.hw("INIT")
    p.charcode(CODE_PAGE)
    if logo is not None:
        p.image(_logo_image(logo, max_width=info.columns * 6), center=True)
    out.write(kiosk_name, align="center", bold=True, big=True)
    out.write(t["title"], align="center", bold=True)
    out.write(f"{t['date']}: {printed_at.strftime('%d/%m/%Y %H:%M')}", align="center")
    out.blank()
    p.qr(qr_content(enrollment_id), size=8, native=False, center=True)
    out.write(f"{t['reference']}: {reference}", align="center", bold=True)
    out.blank()
    out.write(t["code"], align="center", bold=True)
    out.write(" ".join(activation_first_half), align="center", bold=True, big=True)
    out.blank()
    out.write(t["next"])
    out.blank()
    out.write(t["status"])
    out.write(t["help"])
    out.blank()
    out.write(t["keep"], align="center", bold=True)
    p.cut()
    return bytes(p.output)
