"""Image analysis for the capture step: pure functions on RGB numpy frames (no pygame, no hardware).

``checks`` judges live frames (document outline, sharpness, glare, fill, tilt; one face) and says
what the citizen should change; ``guide`` turns a run of good frames into an automatic capture;
``still`` straightens and encodes the full-resolution picture; ``mrz`` reads the machine-readable
zone with tesseract; ``crosscheck`` compares it with what the card and the citizen said;
``synth`` draws fictitious documents and scenes for the tests, the benchmark and the demo.
"""
