"""The typed schema of a binding's ``options``, checked when the binding is added.

Options steer the sync window, the guards, the push channel, the vendor backends and the ICS cost
budget; a wrong type found only at ``sync run`` time would fail every run. Unknown names are
refused too: a typo (``past_day``) would otherwise be silently ignored.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ponton.errors import InvalidInputError
from ponton.sync.filters import FILTER_OPTIONS, SEND_UPDATES

Days = Annotated[int, Field(ge=0, le=3_660, strict=True)]
Count = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]


class _CoreOptions(BaseModel):
    """Every option a binding may carry, with its bounds (docs/sync.md and the integration pages
    describe each one); the event filters' options are added below from their own module."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    past_days: Days | None = None
    future_days: Days | None = None
    max_delete_share: Annotated[float, Field(ge=0, le=1)] | None = None
    push: bool | None = None
    channel_hours: Annotated[float, Field(gt=0, le=24 * 31)] | None = None
    write_attendees: bool | None = None
    send_updates: Literal[SEND_UPDATES] | None = None
    retry_attempts: Annotated[int, Field(ge=1, le=20, strict=True)] | None = None
    retry_max_seconds: Annotated[float, Field(ge=0, le=3_600)] | None = None
    page_size: Annotated[int, Field(ge=1, le=1_000, strict=True)] | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] | None = None
    max_bytes: Annotated[int, Field(ge=1, le=1 << 30, strict=True)] | None = None
    max_components: Count | None = None
    max_occurrences: Count | None = None
    max_total_occurrences: Count | None = None
    max_rule_steps: Count | None = None
    max_total_rule_steps: Count | None = None
    max_text_chars: Count | None = None
    max_rdates: Count | None = None
    max_properties: Count | None = None
    max_seconds: Annotated[float, Field(gt=0, le=3_600)] | None = None
    refresh_interval: Annotated[float, Field(ge=0, le=31 * 86_400)] | None = None


def _filter_field(kind: Any) -> tuple[Any, None]:
    """A filter option's JSON type (a list option also takes one string); the module's own
    checks (regular expressions compile) run when the binding is stored."""
    if kind is bool:
        return bool | None, None
    text = Annotated[str, Field(max_length=1_000)]
    if kind is str:
        return text | None, None
    return list[text] | text | None, None


BindingOptions = create_model(
    "BindingOptions",
    __base__=_CoreOptions,
    **{name: _filter_field(kind) for name, kind in FILTER_OPTIONS.items()},
)


def parse_binding_options(text: str) -> dict[str, Any]:
    """``--options`` text as a checked dict (only the options given); ``InvalidInputError`` names
    every bad option and the accepted names."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"--options is not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise InvalidInputError('--options must be a JSON object such as {"past_days": 90}')
    try:
        return BindingOptions.model_validate(raw).model_dump(exclude_none=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        accepted = ", ".join(BindingOptions.model_fields)
        raise InvalidInputError(f"--options refused ({problems}); accepted: {accepted}") from exc
