"""``kiosk capture analyse IMAGE``: what the capture pipeline sees in one picture."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.capture import checks, mrz_reader, still


@dataclass
class Analysis:
    width: int
    height: int
    outline_found: bool
    guidance: str
    sharpness: float = 0.0
    glare: float = 0.0
    fill: float = 0.0
    document_type: str = ""  # "idcard" | "passport" | "" (no zone read)
    mrz: dict | None = field(default=None, repr=False)
    face_found: bool = False
    face_count: int = 0

    def as_dict(self) -> dict:
        return {
            "width": self.width, "height": self.height, "outline_found": self.outline_found,
            "guidance": self.guidance, "sharpness": round(self.sharpness, 1), "glare": round(self.glare, 4),
            "fill": round(self.fill, 3), "document_type": self.document_type, "mrz": self.mrz,
            "mrz_valid": bool(self.mrz and self.mrz["is_valid"]), "face_found": self.face_found,
            "face_count": self.face_count,
        }


def analyse(image: np.ndarray) -> Analysis:
    """Outline, quality, zone and faces of one RGB picture (any size)."""
    h, w = image.shape[:2]
    preview = _preview(image)
    doc = checks.check_document(preview)
    scale = w / preview.shape[1]
    quad = doc.quad * scale if doc.quad is not None else None
    reading = None
    if quad is not None:
        for doc_type in ("idcard", "passport"):
            candidate = mrz_reader.read_mrz(still.mrz_copy(image, quad, doc_type=doc_type), doc_type=doc_type)
            if candidate is not None and (reading is None or sum(candidate.checks.values()) > sum(reading.checks.values())):
                reading = candidate
            if reading is not None and reading.is_valid:
                break
    faces = checks.find_faces(preview)
    doc_type = reading.doc_type if reading is not None and reading.is_valid else ""
    return Analysis(
        width=w, height=h, outline_found=quad is not None, guidance=doc.guidance, sharpness=doc.sharpness,
        glare=doc.glare, fill=doc.fill, document_type=doc_type, mrz=reading.as_dict() if reading else None,
        face_found=len(faces) > 0, face_count=len(faces),
    )


def _preview(image: np.ndarray, width: int = 640) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if w <= width:
        return image
    return cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def report(analysis: Analysis) -> str:
    """Plain lines for a technician (the zone's personal fields are shown: the image is theirs)."""
    a = analysis
    lines = [
        f"image            {a.width} x {a.height}",
        f"outline found    {'yes' if a.outline_found else 'no'}",
        f"guidance         {a.guidance}",
        f"sharpness        {a.sharpness:.0f} (variance of the Laplacian; below {checks.MIN_SHARPNESS:.0f} is blurred)",
        f"glare            {a.glare * 100:.1f} % of the document (above {checks.MAX_GLARE * 100:.1f} % is a reflection)",
        f"fill             {a.fill * 100:.0f} % of the frame",
        f"document type    {a.document_type or 'unknown'}",
    ]
    if a.mrz:
        m = a.mrz
        lines.append(f"MRZ              {m['format']}, check digits {'valid' if m['is_valid'] else 'NOT valid'}")
        for key in ("document_number", "surname", "given_names", "birth_date", "expiry_date", "sex", "nationality"):
            lines.append(f"  {key:<16}{m[key]}")
        lines.append("  checks         " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in m["checks"].items()))
    else:
        lines.append("MRZ              not found")
    lines.append(f"face found       {'yes' if a.face_found else 'no'} ({a.face_count})")
    return "\n".join(lines)
