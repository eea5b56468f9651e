"""Fictitious documents and camera scenes: the test data of the capture pipeline.

No real document anywhere. An identity card (ID-1, TD1 machine-readable zone on the back) or a
passport data page (TD3), drawn with the OCR-B font and check digits from the ``mrz`` package,
then laid into a scene the way a camera would see it: on a cluttered desk, in perspective, with
blur, glare and noise. Faces come from scikit-image's sample photograph when that package is
installed (the test extras), otherwise they are drawn.

Everything is seeded: ``Scenario(seed=…)`` always draws the same picture.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

OCR_B = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
ID1_PX = (1012, 638)  # 85.6 x 54 mm at 300 dpi
TD3_PX = (1476, 1039)  # passport data page, 125 x 88 mm at 300 dpi

SURNAMES = ["BIANCHI", "ROSSI", "ESPOSITO", "COLOMBO", "RICCI", "MARINO", "GRECO", "BRUNO", "GALLO",
            "CONTI", "DE LUCA", "MANCINI", "COSTA", "GIORDANO", "RIZZO", "LOMBARDI", "MORETTI", "BARBIERI",
            "FONTANA", "SANTORO", "MARIANI", "RINALDI", "CARUSO", "FERRARA", "GALLI", "MARTINI", "LEONE",
            "LONGO", "GENTILE", "MARTINELLI", "VITALE", "LOMBARDO", "SERRA", "COPPOLA", "DE SANTIS", "D'ANGELO"]
NAMES = ["GIULIA", "MARIO", "LUCA", "FRANCESCA", "ANNA", "MARCO", "SOFIA", "GIUSEPPE", "CHIARA", "PAOLO",
         "ELENA", "ANDREA", "SARA", "MATTEO", "LAURA", "DAVIDE", "MARTINA", "ALESSANDRO", "GIORGIA",
         "ROBERTO", "VALENTINA", "STEFANO", "SILVIA", "FEDERICO", "MARIA GRAZIA", "GIAN LUCA"]


@dataclass(frozen=True)
class Holder:
    """The fictitious person and document that a synthetic card shows."""

    surname: str
    given_name: str
    birth_date: date
    expiry_date: date
    sex: str
    document_number: str
    doc_type: str  # "idcard" | "passport"

    @property
    def mrz(self) -> str:
        return mrz_text(self)


def mrz_text(holder: Holder) -> str:
    """The machine-readable zone (lines joined by newlines) with check digits from ``mrz``."""
    from mrz.generator.td1 import TD1CodeGenerator
    from mrz.generator.td3 import TD3CodeGenerator

    birth, expiry = holder.birth_date.strftime("%y%m%d"), holder.expiry_date.strftime("%y%m%d")
    surname, given = holder.surname.replace("'", ""), holder.given_name.replace("'", "")
    if holder.doc_type == "passport":
        code = TD3CodeGenerator("P", "ITA", surname, given, holder.document_number, "ITA",
                                birth, holder.sex, expiry, "", transliteration="latin")
    else:
        code = TD1CodeGenerator("CI", "ITA", holder.document_number, birth, holder.sex, expiry, "ITA",
                                surname, given, transliteration="latin")
    return str(code)


def random_holder(rng: random.Random, *, doc_type: str = "idcard") -> Holder:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if doc_type == "passport":
        number = rng.choice(letters) + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(7))
    else:
        number = ("C" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(5))
                  + rng.choice(letters) + rng.choice(letters))
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    expiry = date(2026, 1, 1) + timedelta(days=rng.randrange(30, 365 * 10))
    return Holder(surname=rng.choice(SURNAMES), given_name=rng.choice(NAMES), birth_date=birth,
                  expiry_date=expiry, sex=rng.choice("MF"), document_number=number, doc_type=doc_type)


SAMPLE_HOLDER = Holder(surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
                       expiry_date=date(2032, 3, 12), sex="F", document_number="CA12345AB", doc_type="idcard")


# -- fonts and faces ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _font(size: int, *, mono: bool = False) -> ImageFont.FreeTypeFont:
    names = [OCR_B] if mono else []
    names += ["DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _mrz_font(width_px: int, chars: int) -> ImageFont.FreeTypeFont:
    """The OCR-B size whose ``chars`` characters span ``width_px``."""
    size = 40
    probe = _font(size, mono=True)
    advance = probe.getlength("<" * chars)
    return _font(max(8, int(size * width_px / advance)), mono=True)


@lru_cache(maxsize=1)
def _photo_face() -> np.ndarray | None:
    """A real photograph with one face (scikit-image's astronaut), cropped to head and shoulders."""
    try:
        from skimage import data
    except ImportError:
        return None
    return np.ascontiguousarray(data.astronaut()[0:300, 110:330])


def drawn_face(size: tuple[int, int] = (600, 800), *, seed: int = 0) -> Image.Image:
    """A soft, shaded drawn face on a plain wall (used when no photograph is installed)."""
    rng = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, tuple(rng.randrange(200, 235) for _ in range(3)))
    d = ImageDraw.Draw(img)
    cx, cy, fw, fh = w // 2, int(h * 0.45), int(w * 0.42), int(h * 0.42)
    skin = (rng.randrange(190, 235), rng.randrange(140, 180), rng.randrange(110, 150))
    d.rectangle((cx - fw * 0.9, cy + fh * 0.45, cx + fw * 0.9, h), fill=(60, 80, 120))
    d.ellipse((cx - fw * 0.2, cy + fh * 0.3, cx + fw * 0.2, cy + fh * 0.7), fill=skin)
    d.ellipse((cx - fw / 2, cy - fh / 2, cx + fw / 2, cy + fh / 2), fill=skin)
    d.chord((cx - fw * 0.55, cy - fh * 0.62, cx + fw * 0.55, cy + fh * 0.1), 180, 360, fill=(70, 45, 30))
    ey, ex, er = cy - fh * 0.05, fw * 0.2, fw * 0.09
    for sx in (-1, 1):
        d.ellipse((cx + sx * ex - er * 1.5, ey - er * 1.2, cx + sx * ex + er * 1.5, ey + er), fill=(120, 85, 70))
        d.ellipse((cx + sx * ex - er * 0.6, ey - er * 0.5, cx + sx * ex + er * 0.6, ey + er * 0.5), fill=(30, 25, 25))
        d.line((cx + sx * ex - er * 1.6, ey - er * 2.1, cx + sx * ex + er * 1.6, ey - er * 2.3), fill=(60, 40, 30), width=max(2, w // 80))
    d.polygon([(cx, ey), (cx - fw * 0.08, cy + fh * 0.17), (cx + fw * 0.08, cy + fh * 0.17)],
              fill=tuple(int(c * 0.85) for c in skin))
    d.chord((cx - fw * 0.16, cy + fh * 0.22, cx + fw * 0.16, cy + fh * 0.34), 0, 180, fill=(140, 60, 60))
    return Image.fromarray(cv2.GaussianBlur(np.asarray(img), (0, 0), max(1.0, w / 300)))


def face_portrait(size: tuple[int, int], *, seed: int = 0) -> Image.Image:
    """A head-and-shoulders portrait of ``size``: the sample photograph, or a drawn face."""
    photo = _photo_face()
    if photo is None:
        return drawn_face(size, seed=seed)
    return Image.fromarray(photo).resize(size, Image.Resampling.BICUBIC)


# -- documents ---------------------------------------------------------------------------------


def render_document(holder: Holder, *, side: str = "back", seed: int = 0) -> Image.Image:
    """The flat document: ``side`` "front" (photo and data) or "back" (ID card MRZ).

    A passport has one data page, drawn with its photo and its TD3 zone whatever ``side`` says.
    """
    rng = random.Random(seed)
    is_passport = holder.doc_type == "passport"
    w, h = TD3_PX if is_passport else ID1_PX
    tint = rng.randrange(-12, 12)
    base = (212 + tint // 2, 218 + tint, 228) if not is_passport else (228, 218 + tint, 204)
    img = Image.new("RGB", (w, h), base)
    d = ImageDraw.Draw(img)
    for i in range(0, w + h, 18):  # security guilloche-ish pattern, faint
        d.line((i, 0, i - h, h), fill=tuple(max(0, c - 10) for c in base), width=1)
    blue = (30, 50, 110)
    d.text((int(w * 0.05), int(h * 0.04)), "REPUBBLICA ITALIANA", font=_font(h // 14), fill=blue)
    mrz_lines = holder.mrz.split("\n")
    if is_passport or side == "front":
        title = "PASSAPORTO / PASSPORT" if is_passport else "CARTA DI IDENTITA' / IDENTITY CARD"
        d.text((int(w * 0.05), int(h * 0.14)), title, font=_font(h // 22), fill=blue)
        px0, py0 = int(w * 0.05), int(h * 0.25)
        pw, ph = int(w * 0.27), int(h * (0.5 if is_passport else 0.62))
        img.paste(face_portrait((pw, ph), seed=seed), (px0, py0))
        rows = [("COGNOME / SURNAME", holder.surname), ("NOME / NAME", holder.given_name),
                ("NASCITA / BIRTH", holder.birth_date.strftime("%d.%m.%Y")),
                ("SCADENZA / EXPIRY", holder.expiry_date.strftime("%d.%m.%Y")),
                ("N. DOCUMENTO", holder.document_number)]
        x = px0 + pw + int(w * 0.05)
        step = int(h * (0.09 if is_passport else 0.13))
        for i, (label, value) in enumerate(rows):
            y = py0 + i * step
            d.text((x, y), label, font=_font(h // 34), fill=(90, 90, 110))
            d.text((x, y + h // 30), value, font=_font(h // 20), fill=(20, 20, 20))
    else:
        d.text((int(w * 0.05), int(h * 0.16)), "COMUNE DI " + rng.choice(["ROMA", "MILANO", "TORINO", "BARI"]),
               font=_font(h // 18), fill=blue)
        d.text((int(w * 0.05), int(h * 0.27)), "INDIRIZZO / ADDRESS  VIA ROMA " + str(rng.randrange(1, 200)),
               font=_font(h // 26), fill=(40, 40, 40))
    if is_passport or side == "back":
        chars = len(mrz_lines[0])
        font = _mrz_font(int(w * (0.9 if is_passport else 0.88)), chars)
        pitch = int(font.size * 1.35)
        zone_h = pitch * len(mrz_lines) + int(h * 0.03)
        top = h - zone_h - int(h * 0.03)
        d.rectangle((0, top - int(h * 0.02), w, h), fill=tuple(min(255, c + 10) for c in base))
        for i, line in enumerate(mrz_lines):
            d.text((int(w * 0.05), top + i * pitch), line, font=font, fill=(15, 15, 15))
    return img


# -- scenes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """How the camera sees a document: every knob of the scene, all seeded."""

    seed: int = 0
    doc_type: str = "idcard"
    side: str = "back"
    size: tuple[int, int] = (1600, 1200)
    fill: float = 0.62  # document width / frame width
    angle: float = 0.0  # in-plane rotation, degrees
    perspective: float = 0.0  # corner jitter, fraction of the document's width
    blur: float = 0.0  # Gaussian sigma in pixels of a 1600-wide frame
    glare: float = 0.0  # 0..1 strength of a specular blob on the document
    glare_on_mrz: bool = False
    noise: float = 2.0  # sensor noise sigma (grey levels)
    brightness: float = 1.0
    clutter: int = 6  # random objects on the desk
    holder: Holder | None = None


@dataclass(frozen=True)
class Scene:
    image: np.ndarray = field(repr=False)  # RGB uint8
    quad: np.ndarray = field(repr=False)  # the document's true corners, TL TR BR BL, (x, y) float32
    holder: Holder
    scenario: Scenario


def random_scenario(seed: int, *, doc_type: str | None = None, hard: bool = True,
                    size: tuple[int, int] = (1600, 1200)) -> Scenario:
    """A scene as a first-time user might hold it: varied fill, tilt, blur, glare, noise."""
    rng = random.Random(seed * 7919 + 17)
    doc_type = doc_type or rng.choice(["idcard", "idcard", "passport"])
    return Scenario(
        seed=seed, doc_type=doc_type, side="back", size=size,
        fill=rng.uniform(0.55, 0.8) if doc_type == "idcard" else rng.uniform(0.6, 0.82),
        angle=rng.uniform(-12, 12) if hard else rng.uniform(-3, 3),
        perspective=rng.uniform(0.0, 0.05) if hard else 0.01,
        blur=rng.choice([0.0, 0.8, 1.5, 2.2]) if hard else 0.0,
        glare=rng.choice([0.0, 0.0, 0.4, 0.7]) if hard else 0.0,
        noise=rng.uniform(1.0, 6.0) if hard else 2.0,
        brightness=rng.uniform(0.8, 1.0) if hard else 1.0,
        clutter=rng.randrange(2, 10),
    )


def make_scene(scenario: Scenario) -> Scene:
    rng = random.Random(scenario.seed)
    nrng = np.random.default_rng(scenario.seed)
    holder = scenario.holder or random_holder(rng, doc_type=scenario.doc_type)
    doc = np.asarray(render_document(holder, side=scenario.side, seed=scenario.seed))
    W, H = scenario.size
    scale = W / 1600
    desk = _desk(rng, nrng, (W, H), scenario.clutter)

    dh, dw = doc.shape[:2]
    tw = scenario.fill * W
    th = tw * dh / dw
    cx = W / 2 + rng.uniform(-0.5, 0.5) * max(0.0, W - tw) * 0.5
    cy = H / 2 + rng.uniform(-0.5, 0.5) * max(0.0, H - th) * 0.5
    a = math.radians(scenario.angle)
    corners = []
    for x, y in ((-tw / 2, -th / 2), (tw / 2, -th / 2), (tw / 2, th / 2), (-tw / 2, th / 2)):
        jx, jy = (rng.uniform(-1, 1) * scenario.perspective * tw for _ in range(2))
        corners.append((cx + x * math.cos(a) - y * math.sin(a) + jx, cy + x * math.sin(a) + y * math.cos(a) + jy))
    quad = np.array(corners, dtype=np.float32)
    src = np.array([(0, 0), (dw, 0), (dw, dh), (0, dh)], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, quad)
    warped = cv2.warpPerspective(doc, m, (W, H), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((dh, dw), 255, np.uint8), m, (W, H), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    # a soft shadow under the card, then the card
    shadow = cv2.GaussianBlur(alpha, (0, 0), 6 * scale)[..., None] if alpha.ndim == 3 else alpha
    img = desk.astype(np.float32) * (1 - 0.35 * np.roll(shadow.reshape(H, W, 1), (int(6 * scale), int(6 * scale)), (0, 1)))
    img = img * (1 - alpha) + warped.astype(np.float32) * alpha

    if scenario.glare > 0:
        gy = rng.uniform(0.75, 0.9) if scenario.glare_on_mrz else rng.uniform(0.15, 0.55)
        gx = rng.uniform(0.25, 0.75)
        pt = m @ np.array([gx * dw, gy * dh, 1.0])
        px, py = pt[0] / pt[2], pt[1] / pt[2]
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        rx, ry = tw * rng.uniform(0.06, 0.12), th * rng.uniform(0.06, 0.12)
        blob = np.exp(-(((xx - px) / rx) ** 2 + ((yy - py) / ry) ** 2))
        img = img + (255 * 1.6 * scenario.glare * blob * alpha[..., 0])[..., None]
    img = img * scenario.brightness
    if scenario.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), scenario.blur * scale)
    if scenario.noise > 0:
        img = img + nrng.normal(0, scenario.noise, img.shape).astype(np.float32)
    image = np.clip(img, 0, 255).astype(np.uint8)
    return Scene(image=image, quad=quad, holder=holder, scenario=scenario)


def _desk(rng: random.Random, nrng: np.random.Generator, size: tuple[int, int], clutter: int) -> np.ndarray:
    W, H = size
    base = np.array([rng.randrange(30, 110) for _ in range(3)], dtype=np.float32)
    yy = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    desk = base + yy * rng.uniform(-25, 25) + nrng.normal(0, 3, (H, W, 3)).astype(np.float32)
    img = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(clutter):  # pens, sticky notes, cables, print along the edges of the desk
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        kind = rng.choice(["line", "rect", "text", "circle"])
        x, y = rng.randrange(0, W), rng.choice([rng.randrange(0, H // 6), rng.randrange(5 * H // 6, H)])
        if rng.random() < 0.5:
            x, y = rng.choice([rng.randrange(0, W // 8), rng.randrange(7 * W // 8, W)]), rng.randrange(0, H)
        if kind == "line":
            d.line((x, y, x + rng.randrange(-W // 4, W // 4), y + rng.randrange(-H // 4, H // 4)),
                   fill=colour, width=rng.randrange(2, 12))
        elif kind == "rect":
            s = rng.randrange(W // 30, W // 10)
            d.rectangle((x, y, x + s, y + s), fill=colour)
        elif kind == "circle":
            s = rng.randrange(W // 40, W // 12)
            d.ellipse((x - s, y - s, x + s, y + s), outline=colour, width=rng.randrange(2, 8))
        else:
            d.text((x, y), rng.choice(["MODULO", "Protocollo", "n. 42", "URP"]), font=_font(H // 30), fill=colour)
    return np.asarray(img)


def face_scene(seed: int = 0, *, size: tuple[int, int] = (1200, 1600), faces: int = 1, offset: float = 0.0,
               scale: float = 0.55, blur: float = 0.0) -> np.ndarray:
    """A citizen in front of the camera: ``faces`` portraits on a wall, the first shifted by ``offset``."""
    rng = random.Random(seed)
    W, H = size
    wall = np.full((H, W, 3), [rng.randrange(170, 220) for _ in range(3)], dtype=np.uint8)
    img = Image.fromarray(wall)
    for i in range(faces):
        pw = int(W * scale / max(1, faces) ** 0.5)
        ph = int(pw * 300 / 220)
        if i == 0:
            x = int(W / 2 - pw / 2 + offset * W)
        else:
            x = rng.choice([0, W - pw])
        y = int(H * 0.5 - ph / 2) if i == 0 else rng.randrange(0, max(1, H - ph))
        img.paste(face_portrait((pw, ph), seed=seed + i), (x, y))
    out = np.asarray(img)
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    return np.ascontiguousarray(out)
