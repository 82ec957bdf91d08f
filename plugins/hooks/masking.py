"""The one place where ponton registers connection secrets with Airflow's secrets masker.

Airflow masks a connection's password and the extras whose *names* look secret (``token``,
``secret``, ``private_key``...). ponton's connections hold secrets under other names too: a private
ICS feed URL (``url``, or the host), an Entra ID certificate with its key (``certificate_data``), a
service-account key JSON whose private key must not leak once parsed. The secret fields of each
connection type are declared once (``format: password`` in the connection forms, see
:func:`ponton.config.secret_fields`); every ponton hook reads its connection through
:class:`MaskedConnectionMixin`, and the domain's resolver calls :func:`mask_connection`.
"""

from __future__ import annotations

import json
from typing import Any

from ponton.config import secret_fields


def _mask(value: Any) -> None:
    from airflow.sdk.log import mask_secret

    if value in (None, ""):
        return
    mask_secret(value)
    if not isinstance(value, str):
        return
    if "\n" in value.strip():
        # A PEM key or key file printed inside a dict or JSON shows its newlines escaped: mask
        # that form and every line of the body too.
        mask_secret(json.dumps(value)[1:-1])
        for line in value.splitlines():
            if len(line.strip()) >= 16 and not line.startswith("-----"):
                mask_secret(line.strip())
    if value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return
        for item in parsed.values() if isinstance(parsed, dict) else ():
            if isinstance(item, str) and "PRIVATE KEY" in item:
                _mask(item)


def mask_connection(conn: Any) -> None:
    """Register the password and every declared secret field of ``conn`` with the masker."""
    _mask(getattr(conn, "password", None))
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else getattr(conn, "extra", {})
    conn_type = getattr(conn, "conn_type", None)
    for name in secret_fields(conn_type):
        _mask(extra.get(name) or extra.get(f"extra__{conn_type}__{name}"))
        if name in ("host", "login", "schema"):
            _mask(getattr(conn, name, None))


class MaskedConnectionMixin:
    """First base of every ponton hook: whatever the hook reads its connection for, the secrets
    in it are masked in task logs before any line can print them."""

    @classmethod
    def get_connection(cls, conn_id: str):
        conn = super().get_connection(conn_id)  # type: ignore[misc]
        mask_connection(conn)
        return conn


def new_channel_token() -> str:
    """A fresh webhook channel token (Google channel token, Graph clientState), masked from the
    moment it exists: it is shared with the provider only, ponton keeps its hash."""
    from ponton.calendars.channels import new_token

    token = new_token()
    _mask(token)
    return token
