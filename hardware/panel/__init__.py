"""GPIO panel port: help button and LED, status LEDs, buzzer, tamper switch, headphone jack, presence."""
