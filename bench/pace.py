"""Benchmark: a CIE's travel document through PACE with the CAN (DG1 + DG2), over pcscd + vpcd.

Not a test: it prints figures and ends with one JSON line. In this one run: pcscd (started here
unless one runs already, stopped by pid), the emulated CIE in vpcd's slot (in this process), and
``PcscCardReader.read_travel_document`` timed from the call to the parsed DG1 and DG2:
  * extended: DG2's rest in one extended-length READ BINARY (the default);
  * short: every file in 0xDF-byte chunks (a reader without extended APDUs);
  * baseline: the same card read without PACE (``read_card``: applets, NIS, internal authenticate).
The emulated chip computes its side of PACE in this same process (on a real CIE the chip does it),
so the PACE figures include the chip's elliptic-curve work too; ``terminal_ec_ms`` is the kiosk's
own share (its five scalar multiplications).
Run (as root, like the tests): .venv/bin/python bench/pace.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.card.ec import BRAINPOOL_P256R1  # noqa: E402
from hardware.card.emulator import profiles  # noqa: E402
from hardware.card.emulator.stack import VPCD_READER, PcscStack  # noqa: E402
from hardware.card.pcsc import PcscCardReader  # noqa: E402


def timed(reader: PcscCardReader, reads: dict, runs: int) -> dict:
    """Median ms and APDUs of each read, the reads interleaved run by run (the machine's load hits all alike)."""
    times: dict = {name: [] for name in reads}
    apdus: dict = {}
    for _ in range(runs):
        for name, read in reads.items():
            started = time.perf_counter()
            read()
            times[name].append((time.perf_counter() - started) * 1000)
            apdus[name] = reader.last_apdu_count
    return {name: (statistics.median(values), apdus[name]) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = PcscStack(Path(tmp))
        stack.start()
        try:
            card = stack.insert(profiles.cie_card())
            dg2_bytes = len(next(n for n in card.mf.children[0x5200].children.values() if n.sfi == 0x02).data)
            with PcscCardReader(reader=VPCD_READER) as reader:
                results = timed(reader, {
                    "extended": lambda: reader.read_travel_document("123456"),
                    "short": lambda: reader.read_travel_document("123456", extended_length=False),
                }, args.runs)
                (extended_ms, extended_apdus), (short_ms, short_apdus) = results["extended"], results["short"]
                # afterwards: it leaves the CIE applet selected, which costs the next PACE read 2 APDUs
                baseline_ms, baseline_apdus = timed(reader, {"baseline": lambda: reader.read_card(fresh=True)},
                                                    args.runs)["baseline"]
        finally:
            stack.close()
    curve = BRAINPOOL_P256R1
    started = time.perf_counter()
    for _ in range(args.runs):
        for _ in range(5):
            curve.multiply(curve.random_scalar(), curve.g)
    terminal_ec_ms = (time.perf_counter() - started) * 1000 / args.runs
    print(f"PACE + DG1 + DG2 ({dg2_bytes} B), extended length: {extended_ms:7.1f} ms, {extended_apdus} APDUs")
    print(f"PACE + DG1 + DG2, short 0xDF chunks:      {short_ms:7.1f} ms, {short_apdus} APDUs")
    print(f"baseline, no PACE (NIS + internal auth):  {baseline_ms:7.1f} ms, {baseline_apdus} APDUs")
    print(f"the terminal's EC work per PACE:          {terminal_ec_ms:7.1f} ms")
    print(json.dumps({
        "bench": "pace", "runs": args.runs, "dg2_bytes": dg2_bytes,
        "extended_ms": round(extended_ms, 1), "extended_apdus": extended_apdus,
        "short_ms": round(short_ms, 1), "short_apdus": short_apdus,
        "baseline_ms": round(baseline_ms, 1), "baseline_apdus": baseline_apdus,
        "terminal_ec_ms": round(terminal_ec_ms, 1),
        "extended_vs_baseline": round(extended_ms / baseline_ms, 2),
        "short_vs_extended": round(short_ms / extended_ms, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
