"""The plaintext inside a sealed packet: the enrollment payload, versioned. Shared by kiosk and receiver.

Version 2 (what the kiosk seals now; all integers big-endian)::

    offset  size   field
    0       6      magic  b"SPAY2\\n"
    6       4      manifest length M (unsigned)
    10      M      manifest: the payload as JSON (UTF-8), each attachment's ``content`` replaced by
                   ``"content_length": n``
    10+M    ...    the attachments' bytes, in manifest order, back to back, nothing after them

Version 1 (packets sealed before version 2, still in outboxes): the payload as JSON, each
attachment's ``content`` in base64. The receiver reads both; version 2 spares base64 (a third more
bytes to encrypt, sign, send and store, and a decoding pass over every image at the receiver).

``decode`` returns the payload with each attachment's ``content`` as ``bytes`` whatever the version
(a version-1 ``content`` that is not base64 stays a string: the receiver's checks reject it).
``as_json`` turns it back into JSON-ready data (base64) for printing.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Mapping

from kiosk.errors import SealError

MAGIC = b"SPAY2\n"
_LENGTH = struct.Struct(">I")
_PREFIX_SIZE = len(MAGIC) + _LENGTH.size


class InvalidPayload(SealError, ValueError):
    """The packet opened, but its content is not an enrollment payload (neither version)."""

    code = "invalid_payload"


def encode(payload: Mapping) -> bytes:
    """Version 2 plaintext of ``payload``, whose attachments carry ``content`` as bytes."""
    manifest = dict(payload)
    contents: list[bytes] = []
    attachments = []
    for attachment in payload.get("attachments", []):
        described = {key: value for key, value in attachment.items() if key != "content"}
        content = attachment["content"]
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError("an attachment's content must be bytes")
        described["content_length"] = len(content)
        attachments.append(described)
        contents.append(content)
    manifest["attachments"] = attachments
    raw = json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join([MAGIC, _LENGTH.pack(len(raw)), raw, *contents])


def decode(plaintext: bytes | memoryview) -> dict:
    """The payload of a version-2 or version-1 plaintext; raises ``InvalidPayload``."""
    view = memoryview(plaintext).cast("B")
    if view[: len(MAGIC)] == MAGIC:
        return _decode_v2(view)
    return _decode_v1(plaintext)


def as_json(payload: Mapping) -> dict:
    """``payload`` with attachment contents in base64 (version 1's shape), ready for ``json.dumps``."""
    result = dict(payload)
    attachments = payload.get("attachments")
    if isinstance(attachments, list):
        result["attachments"] = [
            {**a, "content": base64.b64encode(a["content"]).decode("ascii")}
            if isinstance(a, dict) and isinstance(a.get("content"), (bytes, bytearray)) else a
            for a in attachments
        ]
    return result


def _decode_v2(view: memoryview) -> dict:
    if len(view) < _PREFIX_SIZE:
        raise InvalidPayload("payload truncated")
    (size,) = _LENGTH.unpack_from(view, len(MAGIC))
    end = _PREFIX_SIZE + size
    if end > len(view):
        raise InvalidPayload("payload truncated")
    payload = _json_object(view[_PREFIX_SIZE:end])
    attachments = payload.get("attachments", [])
    if not isinstance(attachments, list):
        raise InvalidPayload("payload attachments are not a list")
    offset = end
    for attachment in attachments:
        length = attachment.get("content_length") if isinstance(attachment, dict) else None
        if type(length) is not int or length < 0 or offset + length > len(view):
            raise InvalidPayload("payload attachment lengths do not match")
        del attachment["content_length"]
        attachment["content"] = bytes(view[offset : offset + length])
        offset += length
    if offset != len(view):
        raise InvalidPayload("payload attachment lengths do not match")
    return payload


def _decode_v1(plaintext: bytes | memoryview) -> dict:
    payload = _json_object(plaintext)
    attachments = payload.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict) and isinstance(attachment.get("content"), str):
            try:
                attachment["content"] = binascii.a2b_base64(attachment["content"])
            except (binascii.Error, ValueError):
                pass  # left as text: not an image, and the receiver's checks say so
    return payload


def _json_object(raw: bytes | memoryview) -> dict:
    try:
        payload = json.loads(bytes(raw) if isinstance(raw, memoryview) else raw)
    except (ValueError, RecursionError):
        raise InvalidPayload("packet content is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidPayload("packet content is not a JSON object")
    return payload
