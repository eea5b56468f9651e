"""The appliance: what makes the kiosk installable, observable and serviceable (systemd, doctor, metrics)."""
