"""What a webhook body may look like, checked before anything else reads it.

Bodies come from anyone who can reach the API server. They are parsed once by pydantic (a Rust
JSON parser with a nesting limit, so ``"[" * 100000`` is a 400, not a ``RecursionError``) into
models whose strings, lists and identifiers are bounded: no value that reaches the database can
break a unique key or hold a worker. The refusal says which field failed, never echoes the value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

# Inbox dedupe keys are VARCHAR(300); every identifier a key is built from stays well below.
MAX_ID = 200
MAX_SECRET = 256  # Google channel tokens and Graph clientState are at most 128/256 characters
MAX_TEXT = 2_000
MAX_GRAPH_BATCH = 1_000

Identifier = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_ID)]
Secret = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_SECRET)]
Text = Annotated[str, StringConstraints(strict=True, max_length=MAX_TEXT)]


Lifecycle = Literal["reauthorizationRequired", "subscriptionRemoved", "missed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class GraphResourceData(_Strict):
    """The fields of ``resourceData`` ponton keeps (learn.microsoft.com/graph/api/resources/
    resourcedata); anything else is dropped rather than stored."""

    id: Identifier | None = None
    odata_type: Text | None = Field(default=None, alias="@odata.type")
    odata_id: Text | None = Field(default=None, alias="@odata.id")
    odata_etag: Text | None = Field(default=None, alias="@odata.etag")


class GraphNotification(_Strict):
    """One change or lifecycle notification (learn.microsoft.com/graph/api/resources/
    changenotification)."""

    subscriptionId: Identifier | None = None
    clientState: Secret | None = None
    id: Identifier | None = None
    changeType: Text | None = None
    resource: Text | None = None
    resourceData: GraphResourceData | None = None
    tenantId: Identifier | None = None
    subscriptionExpirationDateTime: Text | None = None
    lifecycleEvent: Lifecycle | None = None

    def stored_payload(self) -> dict[str, Any]:
        """What the inbox keeps: everything validated except the secret."""
        return self.model_dump(by_alias=True, exclude={"clientState"}, exclude_none=True)


class GraphBatch(_Strict):
    value: Annotated[list[GraphNotification], Field(min_length=1, max_length=MAX_GRAPH_BATCH)]


class GoogleHeaders(_Strict):
    """The ``X-Goog-*`` headers of a push notification (developers.google.com/calendar/api/guides/
    push#understanding-the-notification-message-format): channel ids are at most 64 characters,
    tokens at most 256, message numbers are integers."""

    channel_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    token: Secret
    resource_state: Annotated[str, StringConstraints(max_length=40)] = ""
    resource_id: Annotated[str, StringConstraints(max_length=MAX_ID)] | None = None
    message_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] | None = None


_ANY_JSON = TypeAdapter(Any)


def refusal(exc: ValidationError, what: str) -> HTTPException:
    """A 400 naming the failing fields (locations only: values may be secrets or megabytes)."""
    places = sorted({".".join(str(p) for p in error["loc"]) or "body" for error in exc.errors()})
    shown = ", ".join(places[:5]) + (" ..." if len(places) > 5 else "")
    return HTTPException(status_code=400, detail=f"{what}: invalid {shown}")


def parse_graph(body: bytes) -> GraphBatch:
    try:
        return GraphBatch.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise refusal(exc, "body is not a Graph notification batch") from exc


def check_json(body: bytes, what: str) -> None:
    """Refuse (400) a body that is not JSON or nests too deep before ``json.loads`` sees it."""
    try:
        _ANY_JSON.validate_json(body)
    except ValidationError as exc:
        raise refusal(exc, what) from exc


def parse_google(headers: Any) -> GoogleHeaders:
    try:
        return GoogleHeaders(
            channel_id=headers.get("x-goog-channel-id") or "",
            token=headers.get("x-goog-channel-token") or "",
            resource_state=headers.get("x-goog-resource-state") or "",
            resource_id=headers.get("x-goog-resource-id"),
            message_number=headers.get("x-goog-message-number"),
        )
    except ValidationError as exc:
        raise refusal(exc, "not a Google push notification") from exc
