"""Every ponton hook reads its connection through the masking mixin, and the declared secret
fields cover the secrets Airflow's name-based masker would miss."""

from __future__ import annotations

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
