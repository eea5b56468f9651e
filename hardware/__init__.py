"""Device drivers of the kiosk: one small port per device, each with a real and a simulated backend.

Nothing here knows about the enrollment journey: ``hardware`` never imports ``kiosk``.
"""
