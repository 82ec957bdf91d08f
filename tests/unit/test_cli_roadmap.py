from datetime import date

import pytest
from pypdf import PdfReader

from ponton.cli import main
from ponton.demo.seed import seed

pytestmark = pytest.mark.unit


def test_roadmap_render_writes_the_pdf_and_unknown_mission_exits_2(platform_env, tmp_path, capsys):
    seed(platform_env, date(2026, 3, 2))
    out = tmp_path / "out" / "M-2026-030.pdf"
    assert main(["roadmap", "render", "M-2026-030", "--out", str(out)]) == 0
    assert "Halle Freyssinet" in PdfReader(out).pages[0].extract_text()
    assert str(out) in capsys.readouterr().out
    assert main(["roadmap", "render", "M-404", "--out", str(out)]) == 2
    assert "mission 'M-404' does not exist" in capsys.readouterr().err
