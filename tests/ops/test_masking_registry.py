"""Every ponton hook reads its connection through the masking mixin and can be built from its
conn_name_attr, and the declared secret
fields cover the secrets Airflow's name-based masker would miss."""

from __future__ import annotations

import json

import pytest

from ponton.config import hook_connection_types, secret_fields
from ponton.hooks.connection_checks import hook_class
from ponton.hooks.masking import MaskedConnectionMixin

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("conn_type", "path"), sorted(hook_connection_types().items()))
def test_every_ponton_hook_masks_its_connection(conn_type, path):
    assert issubclass(hook_class(path), MaskedConnectionMixin), (
        f"{path} ({conn_type}) must list MaskedConnectionMixin first among its bases"
    )


def test_secrets_with_innocent_names_are_declared():
    assert "url" in secret_fields("ponton_ics") and "host" in secret_fields("ponton_ics")
    assert "certificate_data" in secret_fields("ponton_outlook_calendar")
    assert "keyfile_dict" in secret_fields("ponton_gdrive")
    assert "url" in secret_fields("ponton_platform")


@pytest.mark.parametrize(("conn_type", "path"), sorted(hook_connection_types().items()))
def test_every_hook_is_built_by_its_conn_name_attr(conn_type, path, monkeypatch):
    """How Airflow's connection test and ``ponton doctor`` build a hook (a TypeError here would
    make every check of that connection type fail)."""
    monkeypatch.setenv("AIRFLOW_CONN_SOME_CONN", json.dumps({"conn_type": conn_type}))
    cls = hook_class(path)
    assert isinstance(cls(**{cls.conn_name_attr: "some_conn"}), cls)
