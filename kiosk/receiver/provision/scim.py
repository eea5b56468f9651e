"""SCIM 2.0 provisioning of an accepted enrollment (``scim2-client`` over ``httpx``, ``scim2-models``).

One User per enrollment: the core User, the enterprise extension, and the project's enrollment
extension (``ENROLLMENT_SCHEMA``) whose ``enrollmentId`` has server uniqueness. ``provision`` is
idempotent: it looks the user up by enrollment id before creating, and after a 409 or a lost
response, so a retry never makes a second identity. Updates carry ``If-Match`` with the version
just read (a 412 re-reads and tries again).

Errors are ``ScimUnavailable`` (retry later: 5xx, timeouts, connection faults, garbage) or
``ScimRefused`` (will not succeed by retrying: 4xx other than a resolved 409, bad credentials).
Their messages name status codes and SCIM error types only, never personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import httpx
from scim2_client.client import BaseSyncSCIMClient, RawResponse
from scim2_client.errors import RequestNetworkException, SCIMClientException, SCIMResponseException
from scim2_models import (
    CaseExact,
    ComplexAttribute,
    Email,
    EnterpriseUser,
    Extension,
    Mutability,
    Name,
    PhoneNumber,
    ResourceType,
    SCIMException,
    ScimProvider,
    Uniqueness,
    URN,
    User,
)

from kiosk.errors import KioskError

ENROLLMENT_SCHEMA = "urn:ietf:params:scim:schemas:extension:sportello:2.0:Enrollment"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_PRECONDITION_RETRIES = 3


class ProvisioningError(KioskError):
    """Provisioning to the identity provider failed. ``code`` is short and non-personal."""

    code = "scim_error"
    is_transient = True

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ScimUnavailable(ProvisioningError, ConnectionError):
    """The SCIM server did not answer usefully (5xx, timeout, connection fault, garbage): retry later."""


class ScimRefused(ProvisioningError, ValueError):
    """The SCIM server refused the request for good (4xx): retrying will not help; a person must look."""

    is_transient = False


class DocumentData(ComplexAttribute):
    """The identity document the operator checked (OIDC4IA ``document_details``)."""

    type: str | None = None
    number: str | None = None
    issuer: str | None = None
    issuer_country: str | None = None
    issue_date: str | None = None
    expiry_date: str | None = None


class EnrollmentExtension(Extension):
    """The kiosk enrollment behind a provisioned identity."""

    __schema__ = URN(ENROLLMENT_SCHEMA)

    enrollment_id: Annotated[str | None, Uniqueness.server, CaseExact.true, Mutability.immutable] = None
    """The kiosk's random enrollment id: one identity per enrollment."""

    codice_fiscale: str | None = None
    kiosk_id: str | None = None
    language: str | None = None
    identification_route: str | None = None
    document: DocumentData | None = None
    evidence_record: str | None = None
    """The OIDC4IA ``verified_claims`` as JSON text (attachments referenced by digest)."""


ProvisionedUser = User[EnterpriseUser | EnrollmentExtension]


def _resource_type() -> ResourceType:
    return ResourceType.model_validate({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
        "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False},
                             {"schema": ENROLLMENT_SCHEMA, "required": False}],
    })


def server_description(directory: str | Path) -> tuple[Path, Path]:
    """Write the schemas and resource types a SCIM server needs to serve our User (for
    ``scim2-server --schema FILE --resource-type FILE``); returns both paths."""
    from scim2_server.utils import load_default_resource_types, load_default_schemas

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    schemas = [s.model_dump(mode="json") for s in load_default_schemas().values()]
    enrollment = EnrollmentExtension.to_schema()
    enrollment.name, enrollment.description = "Enrollment", "Sportello kiosk enrollment"
    schemas.append(enrollment.model_dump(mode="json"))
    types = [t.model_dump(mode="json") for t in load_default_resource_types().values() if t.id != "User"]
    types.append(_resource_type().model_dump(mode="json"))
    schema_path, type_path = directory / "schemas.json", directory / "resource-types.json"
    schema_path.write_text(json.dumps(schemas, indent=1), encoding="utf-8")
    type_path.write_text(json.dumps(types, indent=1), encoding="utf-8")
    return schema_path, type_path


def user_from_payload(payload: dict, *, organization: str = "") -> ProvisionedUser:
    """The SCIM User for a decrypted packet payload. Inactive until the citizen activates it."""
    citizen, contact = payload["citizen"], payload["contact"]
    verified = payload["verified_claims"]
    evidence = verified["verification"]["evidence"]
    document = next(e for e in evidence if e["type"] == "document")["document_details"]
    route = "cns" if any(e["type"] == "electronic_record" for e in evidence) else "operator"
    user = ProvisionedUser(
        user_name="TINIT-" + citizen["codice_fiscale"],
        external_id=payload["enrollment_id"],
        name=Name(family_name=citizen["family_name"], given_name=citizen["given_name"],
                  formatted=f"{citizen['given_name']} {citizen['family_name']}"),
        display_name=f"{citizen['given_name']} {citizen['family_name']}",
        preferred_language=payload.get("language") or "it",
        emails=[Email(value=contact["email"], primary=True, type=Email.Type.home)],
        phone_numbers=[PhoneNumber(value=contact["mobile"], primary=True, type=PhoneNumber.Type.mobile)],
        active=False,
    )
    user[EnterpriseUser] = EnterpriseUser(organization=organization or "Sportello", department="SPID")
    user[EnrollmentExtension] = EnrollmentExtension(
        enrollment_id=payload["enrollment_id"],
        codice_fiscale=citizen["codice_fiscale"],
        kiosk_id=payload["kiosk_id"],
        language=payload.get("language"),
        identification_route=route,
        document=DocumentData(type=document["type"], number=document["document_number"],
                              issuer=document["issuer"]["name"], issuer_country=document["issuer"]["country_code"],
                              issue_date=document["date_of_issuance"], expiry_date=document["date_of_expiry"]),
        evidence_record=json.dumps(verified, separators=(",", ":"), sort_keys=True),
    )
    return user


class _HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client's request engine over an ``httpx.Client`` (the project's HTTP library)."""

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        return url.scheme == base.scheme and url.netloc == base.netloc and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: RawResponse) -> Any:
        return cast(httpx.Response, response).json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise RequestNetworkException() from exc


@dataclass(frozen=True)
class Provisioned:
    user_id: str
    created: bool  # False: the user already existed (a retry, or a created user whose response was lost)


class ScimProvisioner:
    """Provision identities to one SCIM service (``url`` is its base, e.g. ``https://idp/scim/v2``)."""

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0, organization: str = "",
                 client: httpx.Client | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = client or httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self.organization = organization
        provider = ScimProvider(models=[User, EnterpriseUser, EnrollmentExtension], resource_types=[_resource_type()])
        self._scim = _HttpxSCIMClient(self._http, provider=provider)
        self._has_config = False

    def __enter__(self) -> ScimProvisioner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def provision(self, payload: dict) -> Provisioned:
        """Make sure exactly one user exists for this enrollment, holding this payload's data."""
        wanted = user_from_payload(payload, organization=self.organization)
        enrollment_id = payload["enrollment_id"]
        existing = self.find(enrollment_id)
        if existing is not None:
            return Provisioned(self._bring_up_to_date(existing, wanted), created=False)
        try:
            created = self._call(self._scim.create, wanted)
        except ScimUnavailable:
            # The create may have happened with its response lost: look before the queue retries.
            existing = self._find_quietly(enrollment_id)
            if existing is None:
                raise
            return Provisioned(self._bring_up_to_date(existing, wanted), created=False)
        except ScimRefused as err:
            if err.code != "http_409":
                raise
            existing = self.find(enrollment_id)
            if existing is None:
                raise ScimRefused("identity_exists") from None  # another enrollment holds this citizen
            return Provisioned(self._bring_up_to_date(existing, wanted), created=False)
        return Provisioned(str(created.id), created=True)

    def find(self, enrollment_id: str) -> ProvisionedUser | None:
        """The user provisioned for ``enrollment_id``, or ``None``."""
        quoted = json.dumps(enrollment_id)
        parameters = {"filter": f"{ENROLLMENT_SCHEMA}:enrollmentId eq {quoted}", "count": 2}
        found = self._call(self._scim.query, ProvisionedUser, query_parameters=parameters)
        resources = found.resources or []
        if len(resources) > 1:
            raise ScimRefused("duplicate_identity")
        return resources[0] if resources else None

    def set_active(self, enrollment_id: str, *, active: bool = True) -> str:
        """Mark the enrollment's user active (the citizen completed activation); returns its id."""
        for _ in range(MAX_PRECONDITION_RETRIES):
            user = self.find(enrollment_id)
            if user is None:
                raise ScimRefused("not_provisioned")
            if user.active is active:
                return str(user.id)
            user.active = active
            try:
                return str(self._replace(user).id)
            except ScimRefused as err:
                if err.code != "http_412":
                    raise
        raise ScimUnavailable("precondition_failed")

    def _bring_up_to_date(self, existing: ProvisionedUser, wanted: ProvisionedUser) -> str:
        """Replace ``existing`` with ``wanted`` (If-Match its version) when the data differ."""
        current = existing
        for _ in range(MAX_PRECONDITION_RETRIES):
            if _same_data(current, wanted):
                return str(current.id)
            update = wanted.model_copy(deep=True)
            update.id, update.meta, update.active = current.id, current.meta, current.active
            try:
                return str(self._replace(update).id)
            except ScimRefused as err:
                if err.code != "http_412":
                    raise
            current = self.find(str(wanted[EnrollmentExtension].enrollment_id)) or current
        raise ScimUnavailable("precondition_failed")

    def _replace(self, user: ProvisionedUser) -> ProvisionedUser:
        self._ensure_config()
        return self._call(self._scim.replace, user)

    def _ensure_config(self) -> None:
        """Learn the service's configuration (ETag support) once; the models are ours."""
        if not self._has_config:
            self._call(self._scim.discover, schemas=False, resource_types=False)
            self._has_config = True

    def _find_quietly(self, enrollment_id: str) -> ProvisionedUser | None:
        try:
            return self.find(enrollment_id)
        except ProvisioningError:
            return None

    @staticmethod
    def _call(operation, *args, **kwargs):
        """Run one scim2-client operation, translating its failures into our two kinds."""
        try:
            return operation(*args, **kwargs)
        except RequestNetworkException:
            raise ScimUnavailable("network") from None
        except SCIMException as err:
            status = getattr(err, "status", None) or _status_of(err)
            return _raise_for(status, err)
        except SCIMResponseException as err:
            status = getattr(getattr(err, "source", None), "status_code", None)
            return _raise_for(status, err)
        except SCIMClientException:
            raise ScimUnavailable("bad_response") from None
        except (ValueError, TypeError):  # a payload the models cannot read: garbage from the server
            raise ScimUnavailable("bad_response") from None


def _status_of(err: SCIMException) -> int | None:
    try:
        return int(err.to_error().status)
    except (AttributeError, TypeError, ValueError):
        return None


def _raise_for(status: int | None, err: Exception):
    if status is None or status < 400:  # garbage, or a success code with an unreadable body
        raise ScimUnavailable("bad_response") from None
    if status >= 500 or status in (408, 429):
        raise ScimUnavailable(f"http_{status}") from None
    raise ScimRefused(f"http_{status}") from None


def _same_data(current: ProvisionedUser, wanted: ProvisionedUser) -> bool:
    def comparable(user: ProvisionedUser) -> dict:
        data = user.model_dump(mode="json")
        for key in ("id", "meta", "active"):
            data.pop(key, None)
        return data

    return comparable(current) == comparable(wanted)
