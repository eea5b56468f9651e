"""Configuration and the command line: one clear line on bad input, --help everywhere, README in step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import build_parser
from kiosk.config import load_config
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def kiosk(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT, timeout=60)


def test_embedded_default_is_simulated():
    config = load_config(None)
    assert (config.hardware.card_reader, config.hardware.camera, config.hardware.printer) == ("sim", "sim", "sim")
    assert config.db_path == Path("var/kiosk.db")


def test_printer_section_reaches_the_backend(tmp_path):
    from kiosk.devices import Hardware

    path = tmp_path / "kiosk.toml"
    path.write_text("[hardware]\nprinter = 'escpos-network'\n[printer]\nhost = '10.0.0.7'\nport = 9101\n")
    printer = Hardware.from_config(load_config(path)).printer
    assert (printer.host, printer.port, printer.profile) == ("10.0.0.7", 9101, "TM-T20II")


def test_example_config_is_valid():
    config = load_config(ROOT / "config" / "kiosk.example.toml")
    assert config.kiosk.id


@pytest.mark.parametrize("text, expected", [
    ("[kiosk]\nidd = 'x'\n", "kiosk.idd: unknown key"),
    ("[hardware]\nprinter = 'laser'\n", "hardware.printer: unknown backend 'laser'"),
    ("[journey]\ninactivity_grace_s = 5\n", "journey.inactivity_grace_s"),
    ("[journey]\nlanguages = ['it', 'xx']\n", "journey.languages"),
    ("[kiosk\n", "not valid TOML"),
    ("[printer]\nprofile = 'TM-XYZ'\n", "printer.profile: unknown python-escpos printer profile 'TM-XYZ'"),
])
def test_bad_config_is_one_clear_error(tmp_path, text, expected):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("text", ["[kiosk]\nidd = 'x'\n", "[hardware]\ncamera = 'nope'\n", "[[[\n"])
def test_cli_bad_config_exits_nonzero_with_one_line(tmp_path, text):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    result = kiosk("--config", str(path), "config", "check")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and str(path) in result.stderr


def test_cli_missing_config_file(tmp_path):
    result = kiosk("--config", str(tmp_path / "missing.toml"), "demo", "--headless", "--out", str(tmp_path / "o"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"kiosk: error: config file not found: {tmp_path / 'missing.toml'}"


def _subcommands(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subcommands(sub, (*prefix, name))


def test_every_command_has_help_text():
    parser = build_parser()
    assert parser.description
    for path, sub in _subcommands(parser):
        assert sub.description, f"'kiosk {' '.join(path)}' has no description"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```[a-z]*\n(.*?)```", readme, re.S)
    assert block and readme.index("```") < readme.index("\n## "), "the first thing a reader sees"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert "kiosk demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_readme_mentions_every_command():
    readme = (ROOT / "README.md").read_text()
    for path, _ in _subcommands(build_parser()):
        assert f"kiosk {' '.join(path)}" in readme, f"README does not document 'kiosk {' '.join(path)}'"
