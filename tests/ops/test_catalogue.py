"""docs/configuration.md is generated from the code and checked: a stale file, a variable read
but not registered, or a connection type left out fails here."""

from __future__ import annotations

import re

import pytest

from ponton.cli import main
from ponton.config import ENVIRONMENT, VARIABLES, connection_types
from ponton.ops.catalogue import render_configuration
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

# `var.value.get('name'` in templates, `Variable.get("name"` in code.
VARIABLE_READ = re.compile(
    r"""(?:var\.value\.get|var\.value|Variable\.get)\(?\s*\.?\s*['"]([\w.-]+)['"]"""
)


def test_committed_catalogue_is_up_to_date():
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == render_configuration(), "run `ponton docs config` and commit the result"


def test_check_mode_fails_on_a_stale_file(tmp_path, capsys):
    target = tmp_path / "configuration.md"
    target.write_text("# old\n")
    assert main(["docs", "config", "--check", "--output", str(target)]) == 1
    assert main(["docs", "config", "--output", str(target)]) == 0
    assert main(["docs", "config", "--check", "--output", str(target)]) == 0


def test_every_variable_read_in_the_code_is_registered_and_vice_versa():
    sources = [
        *ROOT.glob("dags/*.py"),
        *ROOT.glob("plugins/**/*.py"),
        *ROOT.glob("include/**/*.py"),
    ]
    read = {name for path in sources for name in VARIABLE_READ.findall(path.read_text())}
    assert read, "the pattern must find the variables the DAGs read"
    assert read == {v.name for v in VARIABLES}


def test_every_connection_type_and_field_is_in_the_catalogue():
    text = render_configuration()
    for entry in connection_types():
        assert f"### {entry['connection-type']}\n" in text
        for name in entry.get("conn-fields", {}):
            assert f"extra `{name}`" in text
        if entry.get("hook-class-name"):
            assert entry["hook-class-name"] in text


def test_every_ponton_environment_variable_is_registered_and_vice_versa():
    sources = [
        *ROOT.glob("dags/*.py"),
        *ROOT.glob("plugins/**/*.py"),
        *ROOT.glob("include/**/*.py"),
    ]
    read = {
        name for path in sources for name in re.findall(r'"(PONTON_[A-Z_]+)"', path.read_text())
    }
    assert read == {v.name for v in ENVIRONMENT}
