"""Spoken guidance through espeak-ng while headphones are plugged in: each screen, each key pressed, and a
field's live hint when it changes (once typing pauses).

What is said is decided here, never by a backend: a screen is read from its title, texts and buttons
(never from a text field), and a key on a secret field (a PIN, a one-time code) is only "key", never its
digit. Codes shown on screen (the receipt's reference and half activation code) are never read.

Backends: ``EspeakNg`` speaks (or, with ``wav_dir``, writes each utterance to a WAV file), ``SpeechLog``
records what would be said. Speaking never blocks the UI: utterances go to one worker thread, and a new
screen drops what the previous one had not finished saying.
"""

from __future__ import annotations

import html
import logging
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path

log = logging.getLogger("kiosk.speech")

VOICES = {"it": "it", "en": "en", "de": "de", "fr": "fr-fr", "sl": "sl", "ro": "ro", "sq": "sq", "uk": "uk",
          "zh": "cmn", "ar": "ar"}
SECRET_FIELDS = frozenset({"pin", "operator_pin", "email_code", "mobile_code"})
SECRET_ELEMENTS = frozenset({"reference", "activation", "qr"})  # codes on the receipt screen
_TAGS = re.compile(r"<[^>]+>")


def plain(markup: str) -> str:
    """Words of an html text box, as they would be read."""
    return " ".join(html.unescape(_TAGS.sub(" ", markup.replace("<br>", ". "))).split())


class SpeechLog:
    """Records what would be spoken: ``said`` is a list of (language, text)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def speak(self, text: str, language: str) -> None:
        self.said.append((language, text))

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class EspeakNg:
    """Speaks through the ``espeak-ng`` program on one worker thread; ``wav_dir`` writes WAV files instead."""

    def __init__(self, *, wav_dir: str | Path | None = None, rate_wpm: int = 140,
                 program: str | None = None) -> None:
        self.program = program or shutil.which("espeak-ng") or ""
        if not self.program:
            raise FileNotFoundError("espeak-ng is not installed: apt install espeak-ng")
        self.wav_dir = Path(wav_dir) if wav_dir else None
        self.rate_wpm = rate_wpm
        self.written: list[Path] = []
        self.history: list[tuple[str, str]] = []  # (language, text) handed to espeak-ng, in order
        self._queue: queue.Queue = queue.Queue()
        self._current: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    def speak(self, text: str, language: str) -> None:
        self._queue.put((text, language))

    def stop(self) -> None:
        """Drop what is queued and cut the current utterance (a new screen is on)."""
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._current is not None and self._current.poll() is None:
                self._current.terminate()

    def close(self) -> None:
        self.stop()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def wait(self, timeout: float = 10.0) -> None:
        """Until everything queued has been said (tests)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            text, language = item
            self.history.append((language, text))
            cmd = [self.program, "-v", VOICES.get(language, "it"), "-s", str(self.rate_wpm)]
            if self.wav_dir is not None:
                path = self.wav_dir / f"utterance-{len(self.written):04d}.wav"
                cmd += ["-w", str(path)]
            cmd += ["--", text]
            try:
                with self._lock:
                    self._current = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self._current.wait(timeout=60)
                if self.wav_dir is not None:
                    self.written.append(path)
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("speech failed", extra={"error": type(exc).__name__})


class Speech:
    """What the kiosk says. ``is_enabled`` follows the headphone jack; nothing is said while it is off."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.is_enabled = False

    def read_screen(self, parts: list[str], language: str) -> None:
        if not self.is_enabled:
            return
        self.backend.stop()
        words = ". ".join(p.strip(" .") for p in parts if p and p.strip(" ."))
        if words:
            self.backend.speak(words, language)

    def key(self, label: str, language: str, *, field_name: str, key_word: str) -> None:
        """A key pressed: its label, or only ``key_word`` ("key") on a PIN or code field."""
        if not self.is_enabled:
            return
        self.backend.speak(key_word if field_name in SECRET_FIELDS else label, language)

    def hint(self, words: str, language: str) -> None:
        """A field's live validation hint that changed (after what is being said, never cutting it)."""
        if self.is_enabled and words:
            self.backend.speak(words, language)

    def close(self) -> None:
        self.backend.close()
