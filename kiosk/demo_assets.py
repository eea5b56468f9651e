"""Synthetic pictures for the simulated camera: an identity card, a health card, a face.

Drawn at run time (no real documents anywhere); the sample citizen is fictitious. The identity
card comes from ``kiosk.capture.synth`` (OCR-B zone with valid check digits), so the demo runs the
real capture pipeline on it: outline, straightening, MRZ and the cross-check with the card.
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


def _document(side: str) -> Image.Image:
    """The sample citizen's identity card on a desk, as the camera sees it: a valid TD1 zone on the back."""
    from kiosk.capture import synth

    scenario = synth.Scenario(seed=11 if side == "front" else 12, side=side, fill=0.64, angle=-3.0,
                              perspective=0.015, noise=2.0, clutter=4, holder=synth.SAMPLE_HOLDER)
    return Image.fromarray(synth.make_scene(scenario).image)


def identity_card_front() -> Image.Image:
    return _document("front")


def identity_card_back() -> Image.Image:
    return _document("back")


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
        d.rectangle((x + 24, y + 120, x + w - 24, y + 200), fill=(30, 30, 30))
    return _scene(draw, card_colour=(210, 220, 235))


def face() -> Image.Image:
    """A citizen in front of the camera (a sample photograph when installed, otherwise drawn)."""
    from kiosk.capture import synth

    return Image.fromarray(synth.face_scene(0, size=(1200, 900)))


SEQUENCE = {
    "document_front": identity_card_front,
    "document_back": identity_card_back,
    "health_card_front": health_card_front,
    "health_card_back": health_card_back,
    "face": face,
}
