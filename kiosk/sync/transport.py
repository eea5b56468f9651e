"""The kiosk's HTTPS client for the receiver: mutual TLS with a pinned receiver certificate.

The receiver's certificate (``[receiver] pinned_cert``) is the only trust anchor: no system CA
can vouch for an impostor, and OpenSSL refuses it when expired or not yet valid. With
``pinned_sha256`` the exact certificate is checked as well on every connection. The kiosk presents
its own client certificate. One ``httpx.Client`` with a few keep-alive connections serves the
coordinator's worker threads (httpx clients are thread-safe).
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from kiosk.errors import ConfigError, SyncError


class UntrustedReceiver(SyncError):
    """The receiver's certificate is not the pinned one."""

    code = "tls_untrusted"


@dataclass(frozen=True, slots=True)
class Transport:
    """Where the receiver is and how to reach it."""

    base_url: str
    pinned_cert: Path | None = None
    pinned_sha256: str = ""
    client_cert: Path | None = None
    client_key: Path | None = None
    connections: int = 4
    timeout_s: float = 20.0

    @classmethod
    def from_config(cls, section, *, base_url: str | None = None) -> Transport:
        return cls(
            base_url=(base_url or section.url).rstrip("/"), pinned_cert=section.pinned_cert,
            pinned_sha256=section.pinned_sha256, client_cert=section.client_cert, client_key=section.client_key,
            connections=section.connections, timeout_s=section.timeout_s,
        )

    def ssl_context(self) -> ssl.SSLContext:
        if self.pinned_cert is None:
            raise ConfigError("receiver.pinned_cert is required for an https receiver URL")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        try:
            context.load_verify_locations(cafile=str(self.pinned_cert))
            if self.client_cert is not None:
                context.load_cert_chain(str(self.client_cert), str(self.client_key) if self.client_key else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"receiver TLS files unusable: {type(exc).__name__}: {exc}") from None
        return context

    def client(self) -> httpx.Client:
        is_https = self.base_url.startswith("https://")
        limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=self.connections,
                              keepalive_expiry=30.0)
        timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))
        return httpx.Client(verify=self.ssl_context() if is_https else False, limits=limits, timeout=timeout,
                            base_url=self.base_url, trust_env=False)

    def check_peer(self, response: httpx.Response) -> None:
        """With ``pinned_sha256``: raise ``UntrustedReceiver`` unless the peer is that exact certificate."""
        if not self.pinned_sha256:
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        if der is None or hashlib.sha256(der).hexdigest() != self.pinned_sha256:
            raise UntrustedReceiver("the receiver's certificate is not the pinned one")
