"""``ponton roadmap render``: one mission's roadmap as a PDF file, for operators and previews."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ponton.cli.database import open_db


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    roadmap = groups.add_parser("roadmap", help=helps["roadmap"])
    sub = roadmap.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render MISSION's roadmap to a PDF file")
    render.add_argument("mission", metavar="MISSION", help="mission code, e.g. M-2026-014")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    render.add_argument("--pdfa", action="store_true", help="PDF/A-3b for archival")
    render.add_argument("--templates", type=Path, help="folder overriding roadmap.html.j2/.css")
    render.add_argument(
        "--edition", type=int, default=1, metavar="N", help="version printed on every page"
    )
    render.add_argument(
        "--date",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="generation date printed on every page (default: today)",
    )
    render.set_defaults(func=_render)


def _render(args: argparse.Namespace) -> int:
    import hashlib

    from ponton.documents.render import render_pdf
    from ponton.documents.roadmap import Edition, load_roadmap

    roadmap = load_roadmap(open_db(), args.mission)
    edition = Edition(args.edition, args.date or date.today())
    data = render_pdf(
        roadmap,
        edition=edition,
        pdf_variant="pdf/a-3b" if args.pdfa else None,
        template_dir=args.templates,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{args.out} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}…)")
    return 0
