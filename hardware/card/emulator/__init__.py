"""A smart-card emulator for tests and benchmarks: TS-CNS, CNS, CIE and broken cards over vpcd.

Run ``python -m hardware.card.emulator --profile ts-cns`` with ``pcscd`` and
``vsmartcard-vpcd`` installed: the card appears in the reader "Virtual PCD 00 00". Never install
vpcd on a kiosk: it listens on every interface.
"""
