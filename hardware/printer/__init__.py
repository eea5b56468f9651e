"""Receipt printer port: ESC/POS bytes laid out by the application, printed by a backend."""
