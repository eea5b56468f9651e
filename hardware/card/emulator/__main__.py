"""``python -m hardware.card.emulator --profile NAME``: be a card in vpcd's first slot until stopped.

The certificates are issued by a test CA: ``--ca-dir DIR`` keeps it there (``ca.pem`` for whoever
must trust it, ``ca-key.pem``), made on first use; without it a fresh CA is made and only its
certificate is written when ``--ca-cert-out`` says where. With ``--control`` the emulator reads
``insert``, ``remove`` and ``quit`` lines on stdin.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hardware.card.emulator import profiles
from hardware.card.emulator.vpcd import DEFAULT_HOST, DEFAULT_PORT, VpcdLink
from hardware.card.pace import kdf


def load_or_make_ca(ca_dir: Path | None) -> profiles.CertificateAuthority:
    if ca_dir is not None and (ca_dir / "ca-key.pem").is_file() and (ca_dir / "ca.pem").is_file():
        key = serialization.load_pem_private_key((ca_dir / "ca-key.pem").read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    key, cert = profiles.make_ca()
    if ca_dir is not None:
        ca_dir.mkdir(parents=True, exist_ok=True)
        key_path = ca_dir / "ca-key.pem"
        key_path.touch(mode=0o600)
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (ca_dir / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.card.emulator",
        description="Emulate a TS-CNS, CNS or CIE (or a broken card) in vpcd's virtual reader.",
    )
    parser.add_argument("--profile", default="ts-cns", help="which card (see --list); default ts-cns")
    parser.add_argument("--list", action="store_true", help="list the profiles and exit")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"vpcd's address (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"vpcd's port (default {DEFAULT_PORT})")
    parser.add_argument("--ca-dir", type=Path, help="keep the test CA here (made on first use)")
    parser.add_argument("--ca-cert-out", type=Path, help="write the test CA's certificate (PEM) here")
    parser.add_argument("--pull-after", type=int, help="take the card out after answering N APDUs")
    parser.add_argument("--can", help="a CIE's card access number for PACE (6 digits; default 123456)")
    parser.add_argument("--control", action="store_true", help="read insert/remove/quit commands on stdin")
    args = parser.parse_args(argv)
    if args.list:
        for name, (description, _) in profiles.PROFILES.items():
            print(f"{name:16} {description}")
        return 0
    ca = load_or_make_ca(args.ca_dir)
    if args.ca_cert_out is not None:
        args.ca_cert_out.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    try:
        card = profiles.build(args.profile, ca)
    except ValueError as err:
        parser.error(str(err))
    if args.can is not None:
        if card.pace is None or not (len(args.can) == 6 and args.can.isdigit()):
            parser.error("--can takes 6 digits and a CIE profile")
        card.pace.passwords = {0x02: kdf(args.can.encode("latin-1"), 3)}
    link = VpcdLink(card, host=args.host, port=args.port)
    link.pull_after = args.pull_after
    signal.signal(signal.SIGTERM, lambda *_: link.remove())
    try:
        link.insert()
    except ConnectionError as err:
        print(f"emulator: {err} (is pcscd running with vsmartcard-vpcd installed?)", file=sys.stderr)
        return 1
    print(f"ready {args.profile.lower()} {args.host}:{args.port}", flush=True)
    try:
        if args.control:
            for line in sys.stdin:
                command = line.strip().lower()
                if command == "remove":
                    link.remove()
                elif command == "insert":
                    link.insert()
                elif command == "quit":
                    break
                print(f"ok {command}", flush=True)
        else:
            link.wait()
    except KeyboardInterrupt:
        pass
    finally:
        link.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
