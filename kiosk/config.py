"""Configuration: a TOML file validated by pydantic-settings; unknown keys and bad values are errors.

``load_config(None)`` is the embedded default (simulated hardware, local reference receiver, SQLite
under ``./var``). Environment variables ``SPORTELLO_<SECTION>__<KEY>`` override the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from hardware import registry
from kiosk.errors import ConfigError

LANGUAGES = ("it", "en", "de", "fr", "sl", "ar", "ro", "sq", "uk", "zh")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(_Section):
    id: str = Field(default="demo-kiosk-01", pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    name: str = "Comune di Esempio"
    data_dir: Path = Path("var")
    logo: Path | None = None  # PNG printed at the top of every receipt

    @field_validator("logo")
    @classmethod
    def _logo_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"logo file not found: {value}")
        return value


class JourneySection(_Section):
    languages: tuple[str, ...] = ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh")
    default_language: str = "it"
    inactivity_warning_s: float = Field(default=90, gt=0)
    inactivity_grace_s: float = Field(default=30, ge=20)
    thank_you_s: float = Field(default=30, gt=0)
    otp: bool = True
    cns_route: bool = True
    operator_route: bool = True

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in LANGUAGES]
        if unknown or not value:
            raise ValueError(f"unknown language(s) {unknown}; known: {', '.join(LANGUAGES)}")
        return value


class HardwareSection(_Section):
    card_reader: str = "sim"
    camera: str = "sim"
    printer: str = "sim"
    panel: str = "mock"

    @field_validator("card_reader", "camera", "printer", "panel")
    @classmethod
    def _known_backend(cls, value: str, info) -> str:
        port = {"card_reader": "card", "camera": "camera", "printer": "printer", "panel": "panel"}[info.field_name]
        known = registry.known(port)
        if value not in known:
            raise ValueError(f"unknown backend '{value}' (known: {', '.join(known)})")
        return value


class CardSection(_Section):
    """The smart-card reader of the ``pcsc`` backend and the CAs whose CNS certificates are trusted."""

    reader: str = ""  # part of the PC/SC reader's name; "" = the first reader pcscd lists
    ca_certs: tuple[Path, ...] = ()  # PEM files (the AgID trust list's CNS CAs); empty: chain unchecked

    @field_validator("ca_certs")
    @classmethod
    def _files_exist(cls, value: tuple[Path, ...]) -> tuple[Path, ...]:
        missing = [str(p) for p in value if not p.is_file()]
        if missing:
            raise ValueError(f"CA certificate file(s) not found: {', '.join(missing)}")
        return value

    def options(self, backend: str) -> dict:
        """The keyword options of ``registry.create("card", backend, ...)``."""
        return {"reader": self.reader, "ca_certs": self.ca_certs} if backend == "pcsc" else {}


class CameraSection(_Section):
    """Where the configured camera backend finds its camera, and the capture step's limits."""

    device: str = "0"  # opencv: a V4L2 index ("0" = /dev/video0) or a path OpenCV opens
    source: str = ""  # files: one image, a folder of images or a glob pattern
    resolution: tuple[int, int] = (4056, 3040)  # stills (opencv, picamera2, files)
    preview_resolution: tuple[int, int] = (640, 480)  # live frames for the checks
    max_image_bytes: int = Field(default=2_500_000, ge=50_000, le=2_500_000)  # per stored JPEG (IdP cap)
    auto_capture_frames: int = Field(default=4, ge=1, le=60)  # good frames in a row before the shot

    def options(self, backend: str) -> dict:
        """The keyword options of ``registry.create("camera", backend, ...)``."""
        sizes = {"resolution": self.resolution, "preview_resolution": self.preview_resolution}
        return {
            "opencv": {"device": self.device, **sizes},
            "files": {"source": self.source, **sizes},
            "picamera2": sizes,
        }.get(backend, {})


class PrinterSection(_Section):
    """The receipt printer: its python-escpos profile and where the configured backend finds it."""

    profile: str = "TM-T20II"  # a python-escpos profile name: the model's paper width and columns
    usb_vendor_id: int = 0x04B8  # escpos-usb (Epson by default)
    usb_product_id: int = 0x0E15
    serial_device: str = "/dev/ttyUSB0"  # escpos-serial
    baudrate: int = 9600
    host: str = ""  # escpos-network
    port: int = Field(default=9100, ge=1, le=65535)
    cups_queue: str = ""  # escpos-cups

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        from hardware.errors import PrinterError
        from hardware.printer.port import profile_info

        try:
            profile_info(value)
        except PrinterError as err:
            raise ValueError(str(err)) from None
        return value

    def options(self, backend: str) -> dict:
        """The keyword options of ``registry.create("printer", backend, ...)``."""
        by_backend = {
            "escpos-usb": {"vendor_id": self.usb_vendor_id, "product_id": self.usb_product_id},
            "escpos-serial": {"device": self.serial_device, "baudrate": self.baudrate},
            "escpos-network": {"host": self.host, "port": self.port},
            "escpos-cups": {"queue": self.cups_queue},
        }
        return {"profile": self.profile, **by_backend.get(backend, {})}


class DisplaySection(_Section):
    width: int = Field(default=1280, ge=320)
    height: int = Field(default=800, ge=240)
    fullscreen: bool = False
    rotation: Literal[0, 90, 180, 270] = 0
    width_mm: float = Field(default=217.0, gt=0)  # the visible area: touch targets and text sizes in mm
    height_mm: float = Field(default=136.0, gt=0)


class ReceiverSection(_Section):
    url: str = Field(default="", description="empty: the demo's local reference receiver")
    public_key: Path | None = None  # the receiver's X25519 public key (PEM)
    client_cert: Path | None = None  # the kiosk's TLS client certificate (PEM), signed by the receiver's kiosk CA
    client_key: Path | None = None  # its private key (PEM)
    pinned_cert: Path | None = None  # the receiver's TLS certificate (PEM): the only one the kiosk trusts
    pinned_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")  # optional: SHA-256 of its DER too
    connections: int = Field(default=4, ge=1, le=16)  # concurrent keep-alive connections while draining
    timeout_s: float = Field(default=20.0, gt=0)


class SyncSection(_Section):
    interval_s: float = Field(default=30.0, gt=0)  # how often the kiosk tries the receiver
    freeze_backlog: int = Field(default=200, ge=1)  # M: undelivered enrollments before the kiosk stops
    freeze_age_days: float = Field(default=7.0, gt=0)  # N: age of the oldest undelivered one before it stops


class ProvisioningSection(_Section):
    """The reference receiver's follow-up of an accepted enrollment: SCIM, the RAO token, the email."""

    scim_url: str = ""  # the IdP's SCIM 2.0 base URL; empty: no SCIM provisioning
    scim_token: str = ""  # bearer token for the SCIM service
    organization: str = ""  # enterprise extension "organization" (default: kiosk.name)
    ra_key: Path | None = None  # the registration authority's private key (PEM, RSA or EC) signing RAO tokens
    ra_certificate: Path | None = None  # its certificate (PEM, chain after it), sent as x5c
    issuer_code: str = ""  # the RAO's code (e.g. the IPA code of the town hall), in the token's iss
    operator_reference: str = ""  # who acts for the RAO, in the token's iss (default: kiosk.name)
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: Literal["auto", "require", "never"] = "auto"  # auto: whenever the server offers it
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_ca_file: Path | None = None  # trust this CA for the SMTP server (default: the system's)
    mail_from: str = ""  # the sender of the citizen's activation email
    rejected_retention_days: int = Field(default=30, ge=0)  # then a rejected enrollment's sealed data is deleted


class IntakeSection(_Section):
    """The reference receiver (``kiosk receiver``) taking packets in and sending one-time codes."""

    workers: int | None = Field(default=None, ge=0, le=64)  # verifying processes; None: one per CPU; 0: none
    otp_cooldown_s: float = Field(default=60.0, ge=0)  # between two codes to one destination or kiosk session
    otp_max_sends: int = Field(default=5, ge=1)  # codes per destination and per session within otp_window_s
    otp_window_s: float = Field(default=3600.0, gt=0)
    otp_max_tries: int = Field(default=5, ge=1)  # wrong codes before a code is burnt


class OperatorsSection(_Section):
    codici_fiscali: tuple[str, ...] = ()


class PanelSection(_Section):
    """BCM GPIO numbers of the panel's parts (``hardware.panel``); leave a key out when the part is absent."""

    help_button: int | None = Field(default=17, ge=0, le=53)
    help_led: int | None = Field(default=27, ge=0, le=53)
    status_led_red: int | None = Field(default=22, ge=0, le=53)
    status_led_green: int | None = Field(default=23, ge=0, le=53)
    buzzer: int | None = Field(default=None, ge=0, le=53)  # beeps when the help button calls staff
    tamper_switch: int | None = Field(default=24, ge=0, le=53)
    headphone_detect: int | None = Field(default=25, ge=0, le=53)
    presence_sensor: int | None = Field(default=None, ge=0, le=53)  # wakes the screen


class MetricsSection(_Section):
    enabled: bool = True
    port: int = Field(default=9466, ge=0, le=65535)  # Prometheus exporter on 127.0.0.1 (0: any free port)


class ServiceSection(_Section):
    """The on-screen service mode for technicians and the appliance's screen behaviour."""

    technician_pin_hash: str = ""  # from `kiosk technician set-pin`; empty: no PIN login
    technician_cards: tuple[str, ...] = ()  # codici fiscali of technicians whose CNS opens service mode
    lockout_after: int = Field(default=5, ge=1)  # wrong PINs in a row before a lockout
    lockout_minutes: float = Field(default=15, gt=0)
    screen_saver_after_s: float = Field(default=300, ge=0)  # idle welcome screen dims; 0: never
    quiet_hours: str = Field(default="", pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")
    usb_export_dir: Path = Path("/media/sportello")  # where a mounted USB stick receives exported packets


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix="SPORTELLO_", env_nested_delimiter="__"
    )

    kiosk: KioskSection = KioskSection()
    journey: JourneySection = JourneySection()
    hardware: HardwareSection = HardwareSection()
    card: CardSection = CardSection()
    camera: CameraSection = CameraSection()
    printer: PrinterSection = PrinterSection()
    display: DisplaySection = DisplaySection()
    receiver: ReceiverSection = ReceiverSection()
    sync: SyncSection = SyncSection()
    operators: OperatorsSection = OperatorsSection()
    panel: PanelSection = PanelSection()
    metrics: MetricsSection = MetricsSection()
    service: ServiceSection = ServiceSection()
    provisioning: ProvisioningSection = ProvisioningSection()
    intake: IntakeSection = IntakeSection()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def db_path(self) -> Path:
        return self.kiosk.data_dir / "kiosk.db"

    @property
    def keys_dir(self) -> Path:
        return self.kiosk.data_dir / "keys"


def _from_file(path: Path) -> type[Config]:
    """``Config`` with ``path`` as its lowest-priority source (environment variables win)."""

    class FileConfig(Config):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path))

    return FileConfig


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate ``path`` (``None``: the embedded default). Raises one clear ``ConfigError``."""
    where = "embedded default"
    if path is not None:
        path = Path(path)
        where = str(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return (Config if path is None else _from_file(path))()
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{where}: {key}: {message}{more}") from None
