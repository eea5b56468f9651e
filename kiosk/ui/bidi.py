"""Right-to-left text for SDL_ttf: what HarfBuzz does not do, the Unicode bidi reordering of LTR runs.

pygame-ce renders through SDL_ttf with HarfBuzz: with ``Font.set_script("Arab")`` and
``set_direction(DIRECTION_RTL)`` it joins Arabic letters (initial, medial, final forms) and lays the
whole string out right to left. It does not run the Unicode Bidirectional Algorithm (UAX #9), so a
number, an email or a codice fiscale inside Arabic text would come out reversed ("12345" as "54321").

``visual_rtl`` fixes exactly that: it resolves the bidi levels of a right-to-left paragraph (the
rules for implicit text: W1-W7, N1-N2, I2; no explicit embeddings, which our texts never contain)
and reverses each left-to-right run (level 2: Latin words, digits, with the separators between them)
in place. HarfBuzz's right-to-left layout then reverses the whole line, which puts every run back
in reading order: Arabic reads right to left, ``SP-2025-7K3Q9`` and ``+39 333 …`` left to right.
Characters inside a reversed run that HarfBuzz would mirror (brackets) are swapped beforehand.
"""

from __future__ import annotations

import unicodedata

RTL_LANGUAGES = frozenset({"ar"})
_MIRROR = {"(": ")", ")": "(", "[": "]", "]": "[", "{": "}", "}": "{", "<": ">", ">": "<", "«": "»", "»": "«",
           "‹": "›", "›": "‹"}
_NEUTRAL = {"B", "S", "WS", "ON", "BN", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def is_rtl(language: str) -> bool:
    return language.split("_")[0] in RTL_LANGUAGES


def levels(text: str) -> list[int]:
    """The bidi embedding level of each character of ``text`` in a right-to-left paragraph (1 or 2)."""
    types = [unicodedata.bidirectional(c) or "L" for c in text]
    # W1: a non-spacing mark takes the type of the character before it
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = types[i - 1] if i else "R"
    # W2: European digits after Arabic letters are Arabic numbers; W3: AL is R
    last_strong = "R"  # sos of an RTL paragraph
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            last_strong = t
        elif t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4: one separator between two numbers of the same kind joins them; and (our addition, so a phone
    # number reads as one) a sign right before a number, with no number before it, belongs to it
    for i, t in enumerate(types):
        if t == "ES" and i + 1 < len(types) and types[i + 1] in ("EN", "AN") and (not i or types[i - 1] not in ("EN", "AN")):
            types[i] = types[i + 1]
    for i in range(1, len(types) - 1):
        if types[i] == "ES" and types[i - 1] == types[i + 1] == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and types[i - 1] == types[i + 1] and types[i - 1] in ("EN", "AN"):
            types[i] = types[i - 1]
    # W5: terminators (%, €, #) next to European digits are European digits
    for i, t in enumerate(types):
        if t == "ET":
            j = i
            while j < len(types) and types[j] == "ET":
                j += 1
            if (i and types[i - 1] == "EN") or (j < len(types) and types[j] == "EN"):
                for k in range(i, j):
                    types[k] = "EN"
    # W6: what separators remain are neutral; W7: European digits after L are L
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]
    last_strong = "R"
    for i, t in enumerate(types):
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    # N1/N2: neutrals between two strong sides of one direction take it (numbers count as R), else R
    def side(t: str) -> str:
        return "R" if t in ("R", "EN", "AN") else t
    i = 0
    while i < len(types):
        if types[i] not in _NEUTRAL:
            i += 1
            continue
        j = i
        while j < len(types) and types[j] in _NEUTRAL:
            j += 1
        before = side(types[i - 1]) if i else "R"
        after = side(types[j]) if j < len(types) else "R"
        fill = before if before == after else "R"
        if (i and j < len(types) and types[i - 1] in ("EN", "AN", "L") and types[j] in ("EN", "AN")
                and all(c == " " for c in text[i:j])):
            fill = "L"  # our addition: digits grouped by spaces (+39 333 1234567) stay one number
        for k in range(i, j):
            types[k] = fill
        i = j
    # I2: in an odd (RTL) level, L and numbers go one level up
    out = [2 if t in ("L", "EN", "AN") else 1 for t in types]
    # L1: trailing white space takes the paragraph level
    k = len(text)
    while k and unicodedata.bidirectional(text[k - 1]) in ("WS", "S", "B", "BN"):
        k -= 1
        out[k] = 1
    return out


BOUND_RUN_MAX = 40  # a longer left-to-right run may still need a line break of its own


def visual_rtl(text: str, *, is_wrapped: bool = False) -> str:
    """``text`` prepared for a right-to-left HarfBuzz layout: each left-to-right run reversed in place.

    ``is_wrapped``: the text goes to a box that breaks it into lines at spaces. A break inside a
    reversed run would put the run's end on the upper line and its start on the lower one, so the
    spaces of a run (up to ``BOUND_RUN_MAX`` characters) become no-break spaces: it moves whole."""
    if not text or all(unicodedata.bidirectional(c) not in ("L", "EN", "AN") for c in text):
        return text
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):  # no Arabic: a left-to-right line
        line = "".join(_MIRROR.get(c, c) for c in reversed(text))
        return line.replace(" ", "\u00a0") if is_wrapped and len(text) <= BOUND_RUN_MAX else line
    lv = levels(text)
    out: list[str] = []
    i = 0
    while i < len(text):
        if lv[i] == 1:
            out.append(text[i])
            i += 1
            continue
        j = i
        while j < len(text) and lv[j] == 2:
            j += 1
        run = [_MIRROR.get(c, c) for c in reversed(text[i:j])]
        if is_wrapped and j - i <= BOUND_RUN_MAX:
            run = ["\u00a0" if c == " " else c for c in run]
        out.extend(run)
        i = j
    return "".join(out)


def reading_order(text: str) -> str:
    """How a reader sees ``text`` from left to right once HarfBuzz laid out ``visual_rtl(text)`` right
    to left (characters only, no shaping): for tests and for checking a line by eye."""
    return "".join(_MIRROR.get(c, c) if unicodedata.mirrored(c) else c for c in reversed(visual_rtl(text)))
