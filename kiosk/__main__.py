import sys

from kiosk.cli import main

if __name__ == "__main__":  # not when a receiver's intake worker process imports it
    sys.exit(main())
