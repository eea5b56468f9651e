"""Sportello: the SPID enrollment kiosk."""

__version__ = "0.1.0"
