"""Synthetic pictures for the simulated camera: an identity card, a health card, a face.

Drawn at run time (no real documents anywhere); the sample citizen is fictitious.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _scene(draw_card, *, card_colour: tuple[int, int, int], size=(1600, 1200)) -> Image.Image:
    """A card of ID-1 proportions (85.6 x 54 mm) lying on a dark desk."""
    image = Image.new("RGB", size, (46, 52, 60))
    w = int(size[0] * 0.72)
    h = int(w * 54 / 85.6)
    x0, y0 = (size[0] - w) // 2, (size[1] - h) // 2
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=36, fill=card_colour)
    draw_card(d, x0, y0, w, h)
    return image


def identity_card_front() -> Image.Image:
    def draw(d, x, y, w, h):
        d.text((x + 40, y + 30), "REPUBBLICA ITALIANA", font=_font(48), fill=(20, 40, 90))
        d.text((x + 40, y + 90), "CARTA D'IDENTITÀ", font=_font(40), fill=(20, 40, 90))
        d.rectangle((x + 40, y + 170, x + 300, y + 500), fill=(200, 190, 180))
        d.ellipse((x + 110, y + 220, x + 230, y + 340), fill=(150, 110, 90))
        for i, line in enumerate(["BIANCHI", "GIULIA", "12/03/1985", "CA12345AB"]):
            d.text((x + 340, y + 190 + i * 70), line, font=_font(44), fill=(30, 30, 30))
    return _scene(draw, card_colour=(226, 232, 240))


def identity_card_back() -> Image.Image:
    def draw(d, x, y, w, h):
        d.text((x + 40, y + 40), "COMUNE DI ROMA", font=_font(44), fill=(20, 40, 90))
        mono = _font(38)
        for i, line in enumerate(["C<ITACA12345AB<<<<<<<<<<<<<<<", "8503125F3203129ITA<<<<<<<<<<<", "BIANCHI<<GIULIA<<<<<<<<<<<<<<"]):
            d.text((x + 40, y + h - 220 + i * 62), line, font=mono, fill=(20, 20, 20))
    return _scene(draw, card_colour=(226, 232, 240))


def health_card_front() -> Image.Image:
    def draw(d, x, y, w, h):
        d.text((x + 40, y + 30), "TESSERA SANITARIA", font=_font(48), fill=(255, 255, 255))
        d.rounded_rectangle((x + 60, y + 200, x + 230, y + 330), radius=14, fill=(212, 175, 55))
        for i, line in enumerate(["BNCGLI85C52H501R", "BIANCHI", "GIULIA"]):
            d.text((x + 300, y + 200 + i * 70), line, font=_font(44), fill=(255, 255, 255))
    return _scene(draw, card_colour=(40, 90, 160))


def health_card_back() -> Image.Image:
    def draw(d, x, y, w, h):
        d.text((x + 40, y + 30), "TESSERA EUROPEA DI ASSICURAZIONE MALATTIA", font=_font(34), fill=(20, 40, 90))
        d.rectangle((x, y + 120, x + w, y + 200), fill=(30, 30, 30))
    return _scene(draw, card_colour=(210, 220, 235))


def face() -> Image.Image:
    image = Image.new("RGB", (1200, 1600), (225, 228, 232))
    d = ImageDraw.Draw(image)
    d.ellipse((330, 380, 870, 1060), fill=(224, 182, 150))  # face
    d.pieslice((300, 300, 900, 900), 180, 360, fill=(90, 60, 40))  # hair
    d.ellipse((460, 620, 540, 680), fill=(60, 60, 70))
    d.ellipse((660, 620, 740, 680), fill=(60, 60, 70))
    d.arc((500, 780, 700, 920), 20, 160, fill=(150, 70, 70), width=10)
    d.rectangle((380, 1060, 820, 1600), fill=(70, 90, 130))
    return image


SEQUENCE = {
    "document_front": identity_card_front,
    "document_back": identity_card_back,
    "health_card_front": health_card_front,
    "health_card_back": health_card_back,
    "face": face,
}
