"""What becomes of an enrollment at the receiving service: its status and the reasons for a rejection.

Shared by the kiosk (the status check) and the reference receiver. Reason codes are what a citizen
can act on; the texts here are the Italian source strings the kiosk translates (gettext).
"""

from __future__ import annotations

STATUSES = ("received", "accepted", "rejected", "activated")

# received -> accepted | rejected; accepted -> activated (or rejected, e.g. provisioning refused);
# rejected and activated are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("accepted", "rejected"),
    "accepted": ("activated", "rejected"),
    "rejected": (),
    "activated": (),
}

REJECTION_REASONS: dict[str, str] = {
    "document_expired": "Il documento d'identità è scaduto: torna con un documento valido.",
    "document_unreadable": "Le foto del documento non sono leggibili: ripeti la registrazione.",
    "document_mismatch": "I dati del documento non corrispondono alle foto: ripeti la registrazione.",
    "underage": "Per SPID occorre la maggiore età.",
    "codice_fiscale_invalid": "Il codice fiscale non è valido o non corrisponde ai tuoi dati: "
    "rivolgiti all'ufficio anagrafe.",
    "face_mismatch": "La foto del volto non corrisponde al documento: ripeti la registrazione.",
    "evidence_incomplete": "La verifica dell'identità è incompleta: ripeti la registrazione "
    "con l'aiuto di un operatore.",
    "contact_unverified": "Email o cellulare non confermati: usa il link che ti abbiamo inviato per email.",
    "duplicate_identity": "Hai già un'identità SPID presso questo gestore: usa quella.",
    "other": "La richiesta non è stata accettata: rivolgiti all'ufficio anagrafe.",
}


def is_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, ())
