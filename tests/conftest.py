import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).parent))

from pcsc_harness import pcsc_stack  # noqa: E402,F401 - the session's pcscd + vpcd + card emulator
