"""The typed schema of a binding's ``options``, checked when the binding is added.

Options steer the sync window, the guards, the push channel, the vendor backends and the ICS cost
budget; a wrong type found only at ``sync run`` time would fail every run. Unknown names are
refused too: a typo (``past_day``) would otherwise be silently ignored.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ponton.errors import InvalidInputError

Days = Annotated[int, Field(ge=0, le=3_660, strict=True)]
Count = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]


class BindingOptions(BaseModel):
    """Every option a binding may carry, with its bounds (docs/sync.md and the integration pages
    describe each one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    past_days: Days | None = None
    future_days: Days | None = None
    max_delete_share: Annotated[float, Field(ge=0, le=1)] | None = None
    push: bool | None = None
    channel_hours: Annotated[float, Field(gt=0, le=24 * 31)] | None = None
    write_attendees: bool | None = None
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
