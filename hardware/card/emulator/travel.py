"""The emulated CIE's travel-document applet: EF.CardAccess, DG1 (TD1 MRZ), DG2 (a face JPEG in CBEFF).

The files are built here from the profile's citizen with the emulator's own MRZ code (not the
reader's parser); the face is a small drawn JPEG made by Pillow when the card is built.
"""

from __future__ import annotations

import io

from hardware.card import tlv
from hardware.card.emulator.card import EmulatedCard, Node
from hardware.card.emulator.pace_chip import PaceChip
from hardware.card.pace import kdf

EMRTD_AID = bytes.fromhex("A0000002471001")
# SET { SEQUENCE { id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, parameter id 13 (brainpoolP256r1) } }
CARD_ACCESS = bytes.fromhex("31143012060A04007F0007020204020202010202010D")
EF_COM = tlv.encode(0x60, tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000") + tlv.encode(0x5C, b"\x61\x75"))


def _digit(text: str) -> str:
    weights = (7, 3, 1)
    values = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(values[c] * weights[i % 3] for i, c in enumerate(text)) % 10)


def td1_mrz(*, document_number: str, surname: str, given_names: str, birth_yymmdd: str, sex: str,
            expiry_yymmdd: str, nationality: str = "ITA", state: str = "ITA") -> str:
    """The 3 x 30 MRZ of an identity card (ICAO 9303-5), check digits included."""
    number = document_number.ljust(9, "<")
    line1 = ("C<" + state + number + _digit(number)).ljust(30, "<")
    line2 = (birth_yymmdd + _digit(birth_yymmdd) + sex + expiry_yymmdd + _digit(expiry_yymmdd) + nationality).ljust(29, "<")
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line2 += _digit(composite)
    names = (surname.replace(" ", "<") + "<<" + given_names.replace(" ", "<"))[:30].ljust(30, "<")
    return line1 + line2 + names


def dg1(mrz: str) -> bytes:
    return tlv.encode(0x61, tlv.encode(0x5F1F, mrz.encode("ascii")))


def face_jpeg(width: int = 240, height: int = 320) -> bytes:
    """A plain drawn face (an oval, eyes, a mouth) as a baseline JPEG: a few kilobytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (206, 214, 224))
    draw = ImageDraw.Draw(image)
    draw.ellipse((50, 50, width - 50, height - 40), fill=(224, 186, 160))
    for x in (95, 145):
        draw.ellipse((x - 12, 140, x + 12, 156), fill=(60, 45, 40))
    draw.arc((90, 190, 150, 240), 20, 160, fill=(140, 60, 60), width=5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def dg2(image: bytes, *, width: int = 240, height: int = 320) -> bytes:
    """DG2: one CBEFF biometric information template with an ISO/IEC 19794-5 facial record."""
    facial_info = (
        (20 + 12 + len(image)).to_bytes(4, "big")  # block length
        + b"\x00\x00"  # feature points
        + b"\x02"  # gender: female
        + b"\x00\x00" + b"\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00" + b"\x00\x00\x00"
    )
    image_info = b"\x01\x00" + width.to_bytes(2, "big") + height.to_bytes(2, "big") + b"\x01\x02\x00\x00\x00\x00"
    record = facial_info + image_info + image
    general = b"FAC\x00" + b"010\x00" + (14 + len(record)).to_bytes(4, "big") + b"\x00\x01"
    header = tlv.encode(0xA1, tlv.encode(0x80, b"\x01\x01") + tlv.encode(0x81, b"\x02")
                        + tlv.encode(0x87, b"\x01\x01") + tlv.encode(0x88, b"\x00\x08"))
    template = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, general + record))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template))


def add_travel_applet(card: EmulatedCard, *, can: str, mrz: str, face: bytes | None = None) -> PaceChip:
    """Give ``card`` EF.CardAccess in its MF, PACE with ``can``, and the eMRTD applet with DG1 and DG2."""
    card.add_file("3F00/011C", CARD_ACCESS, sfi=0x1C)
    applet = card.add_application(EMRTD_AID, 0x5200)
    image = face if face is not None else face_jpeg()
    for fid, sfi, data in ((0x011E, 0x1E, EF_COM), (0x0101, 0x01, dg1(mrz)), (0x0102, 0x02, dg2(image))):
        applet.children[fid] = Node(fid, data=data, sfi=sfi, needs_sm=True)
    chip = PaceChip(card_access=CARD_ACCESS, passwords={0x02: kdf(can.encode("latin-1"), 3)})
    card.pace = chip
    return chip
