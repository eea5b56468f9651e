"""An operator's decision on a received enrollment, and the hook for what follows an acceptance.

``Decisions.decide`` is the one code path behind ``POST /v1/packets/{id}/decision`` and
``kiosk receiver decide``. Accepting records, in the same transaction as the status change, a
durable ``accepted`` job (``PacketStore.pending_jobs("accepted")``): provisioning to the IdP, the
RAO token and the activation email take it from there, and survive a crash in between. Callbacks
in ``on_accepted`` run right after the commit for in-process consumers (best effort: the job is the
guarantee). ``mark_activated`` is for whoever completes the activation.

An acceptance is refused (``ContactUnverified``, HTTP 409 ``contact_unverified``) while a contact
the kiosk marked "to verify" (it was offline) has not been confirmed through the emailed link.
Refused rather than flagged: acceptance provisions the identity and emails the citizen the second
half of the activation code, so an unconfirmed address (a typo, someone else's mailbox) would send
half of the credential to a stranger, and SPID requires verified email and mobile before an
identity is issued. The operator can wait for the link, or reject with ``contact_unverified``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kiosk.domain.outcome import REJECTION_REASONS
from kiosk.errors import StoreError
from kiosk.receiver.storage import PacketStore, StoredPacket

log = logging.getLogger("kiosk.receiver.decisions")

ACCEPTED_JOB = "accepted"
DECISIONS = ("accept", "reject")


class BadDecision(StoreError, ValueError):
    """Not ``accept``/``reject``, a rejection without a known reason, or an acceptance with reasons."""

    code = "bad_decision"


class Decisions:
    def __init__(self, store: PacketStore, *, on_accepted: Sequence[Callable[[str], None]] = ()) -> None:
        self.store = store
        self.on_accepted: list[Callable[[str], None]] = list(on_accepted)

    def decide(self, enrollment_id: str, decision: str, *, reasons: Sequence[str] = ()) -> StoredPacket:
        """Accept or reject (with reason codes from ``REJECTION_REASONS``). Idempotent."""
        reasons = list(dict.fromkeys(reasons))
        if decision == "accept":
            if reasons:
                raise BadDecision("an acceptance takes no reasons")
            record = self.store.set_status(enrollment_id, "accepted", job=ACCEPTED_JOB, needs_contacts=True)
            for callback in self.on_accepted:
                try:
                    callback(enrollment_id)
                except Exception as exc:  # one consumer's fault must not undo a committed decision
                    log.error("on_accepted callback failed: %s", type(exc).__name__)
            return record
        if decision == "reject":
            unknown = [r for r in reasons if r not in REJECTION_REASONS]
            if not reasons or unknown:
                raise BadDecision(
                    "a rejection needs one or more reasons from: " + ", ".join(REJECTION_REASONS)
                )
            return self.store.set_status(enrollment_id, "rejected", reasons=reasons)
        raise BadDecision(f"decision must be one of {', '.join(DECISIONS)}")

    def mark_activated(self, enrollment_id: str) -> StoredPacket:
        """The citizen's identity is live at the IdP (the end of the lifecycle)."""
        return self.store.set_status(enrollment_id, "activated")
