"""The roadmap's timeline: a Gantt chart in SVG, as a project manager draws one.

Weeks run left to right; one row per phase (one bar per planned phase, from its first to its last
day), one row per milestone (a diamond), then one row per member showing where they work on the
mission, when they are unavailable and where the two clash. Drawn from the ``Roadmap`` data only —
no clock, no network, numbers printed with a fixed precision — so the same data gives the same
bytes. WeasyPrint renders the inline SVG itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from ponton.documents.french import MONTHS, french_date, french_range, role_label
from ponton.documents.roadmap import Item, Roadmap

WIDTH = 1000.0
LABEL_WIDTH = 250.0
ROW = 20.0
HEADER = 34.0
SECTION = 18.0
LABEL_CHARS = 42
STYLE = (
    "text{font-family:'DejaVu Sans',sans-serif;fill:#1d2433}"
    ".month{font-size:9px;font-weight:bold;fill:#0b3d6e}.week-label{font-size:8px;fill:#5a6b80}"
    ".week{stroke:#c9d3de;stroke-width:0.6}.weekend{fill:#f3f5f8}"
    ".section{font-size:10px;font-weight:bold;fill:#0b3d6e}.section-rule{stroke:#0b3d6e;stroke-width:0.8}"
    ".row-label{font-size:8.5px}.bar-label{font-size:7.5px;fill:#ffffff}.dark{fill:#a35f0a}"
    ".phase,.phase-key{fill:#2f6db5}.milestone,.milestone-key{fill:#e08a1e}.milestone-span{fill:#f4c98f}"
    ".assigned{fill:#8fb3dd}.absence{fill:#b9c0c9}"
    ".clash{fill:none;stroke:#c62828;stroke-width:1.6}.clash-mark{font-size:10px;font-weight:bold;fill:#c62828}"
    ".legend{font-size:8px;fill:#35506e}"
)


@dataclass(frozen=True, slots=True)
class Scale:
    """Days → x coordinates over whole weeks (Monday to Sunday)."""

    first: date
    days: int

    @classmethod
    def around(cls, start: date, end: date) -> Scale:
        monday = start - timedelta(days=start.weekday())
        sunday = end + timedelta(days=6 - end.weekday())
        return cls(monday, (sunday - monday).days + 1)

    @property
    def day_width(self) -> float:
        return (WIDTH - LABEL_WIDTH) / self.days

    def x(self, day: date) -> float:
        return LABEL_WIDTH + (day - self.first).days * self.day_width

    def width(self, start: date, end: date) -> float:
        return ((end - start).days + 1) * self.day_width


def _n(value: float) -> str:
    return f"{value:.1f}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _grid(scale: Scale, height: float) -> list[str]:
    parts = []
    for offset in range(scale.days):
        day = scale.first + timedelta(days=offset)
        x = scale.x(day)
        if day.weekday() >= 5:
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(HEADER)}" width="{_n(scale.day_width)}" '
                f'height="{_n(height - HEADER)}" class="weekend"/>'
            )
        if day.weekday() == 0:
            week = day.isocalendar().week
            parts.append(
                f'<line x1="{_n(x)}" y1="14" x2="{_n(x)}" y2="{_n(height)}" class="week"/>'
            )
            parts.append(_text(x + 3, 28, f"S{week} · {french_date(day, 'day')}", "week-label"))
        days_left_in_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - day
        if day.day == 1 or (offset == 0 and days_left_in_month.days >= 7):
            parts.append(_text(x + 3, 10, f"{MONTHS[day.month - 1]} {day.year}", "month"))
    return parts


def _section(y: float, title: str) -> tuple[list[str], float]:
    line = f'<line x1="0" y1="{_n(y + SECTION - 2)}" x2="{_n(WIDTH)}" y2="{_n(y + SECTION - 2)}" '
    return [_text(0, y + 12, title, "section"), line + 'class="section-rule"/>'], y + SECTION


def _phase_rows(scale: Scale, phases: tuple[Item, ...], y: float) -> tuple[list[str], float]:
    rows: dict[str, list[Item]] = {}
    for phase in phases:
        rows.setdefault(phase.label, []).append(phase)
    parts = []
    for label, bars in rows.items():
        parts.append(_text(4, y + 14, _short(label), "row-label"))
        for bar in bars:
            x, w = scale.x(bar.start), scale.width(bar.start, bar.end)
            parts.append(
                f'<rect x="{_n(x + 0.5)}" y="{_n(y + 4)}" width="{_n(w - 1)}" height="12" rx="2" '
                f'class="phase" data-start="{bar.start.isoformat()}" '
                f'data-end="{bar.end.isoformat()}"/>'
            )
            if w > 90:
                parts.append(_text(x + 4, y + 13.5, french_range(bar.start, bar.end), "bar-label"))
        y += ROW
    return parts, y


def _milestone_rows(
    scale: Scale, milestones: tuple[Item, ...], y: float
) -> tuple[list[str], float]:
    parts = []
    for item in milestones:
        parts.append(_text(4, y + 14, _short(item.label), "row-label"))
        if item.end != item.start:
            parts.append(
                f'<rect x="{_n(scale.x(item.start))}" y="{_n(y + 8)}" '
                f'width="{_n(scale.width(item.start, item.end))}" height="4" '
                'class="milestone-span"/>'
            )
        cx, cy = scale.x(item.start) + scale.day_width / 2, y + 10
        parts.append(
            f'<polygon points="{_n(cx)},{_n(cy - 6)} {_n(cx + 6)},{_n(cy)} {_n(cx)},{_n(cy + 6)} '
            f'{_n(cx - 6)},{_n(cy)}" class="milestone" data-start="{item.start.isoformat()}"/>'
        )
        label_x = scale.x(item.end) + scale.day_width + 3
        parts.append(_text(label_x, y + 14, french_date(item.start, "day"), "bar-label dark"))
        y += ROW
    return parts, y


def _member_rows(scale: Scale, roadmap: Roadmap, y: float) -> tuple[list[str], float]:
    parts = []
    planned = (*roadmap.phases, *roadmap.milestones)
    for member in roadmap.team:
        parts.append(_text(4, y + 14, f"{member.name} ({role_label(member.role)})", "row-label"))
        for item in planned:
            if member.name in item.people:
                parts.append(
                    f'<rect x="{_n(scale.x(item.start))}" y="{_n(y + 7)}" '
                    f'width="{_n(scale.width(item.start, item.end))}" height="6" class="assigned"/>'
                )
        for absence in roadmap.absences:
            if absence.who == member.name:
                parts.append(
                    f'<rect x="{_n(scale.x(absence.start))}" y="{_n(y + 3)}" '
                    f'width="{_n(scale.width(absence.start, absence.end))}" height="14" '
                    f'class="absence" data-start="{absence.start.isoformat()}"/>'
                )
        for clash in roadmap.clashes:
            if clash.who == member.name:
                x = scale.x(clash.start)
                parts.append(
                    f'<rect x="{_n(x)}" y="{_n(y + 2)}" '
                    f'width="{_n(scale.width(clash.start, clash.end))}" height="16" class="clash" '
                    f'data-start="{clash.start.isoformat()}"/>'
                )
                parts.append(_text(x + scale.day_width / 2, y + 14, "!", "clash-mark", "middle"))
        y += ROW
    return parts, y


def _legend(y: float) -> tuple[list[str], float]:
    keys = (
        ("phase-key", "phase"),
        ("milestone-key", "jalon"),
        ("assigned", "présence prévue"),
        ("absence", "indisponible"),
        ("clash", "conflit à arbitrer"),
    )
    parts, x = [], 0.0
    for css, label in keys:
        parts.append(f'<rect x="{_n(x)}" y="{_n(y + 6)}" width="14" height="8" class="{css}"/>')
        parts.append(_text(x + 18, y + 13.5, label, "legend"))
        x += 140
    return parts, y + ROW


def timeline_svg(roadmap: Roadmap) -> Markup:
    """The Gantt chart of ``roadmap`` as inline SVG markup (empty when nothing is dated)."""
    span = roadmap.span
    if span is None:
        return Markup("")
    scale = Scale.around(*span)
    body: list[str] = []
    y = HEADER + 4
    for title, rows in (
        ("Phases", lambda y: _phase_rows(scale, roadmap.phases, y)),
        ("Jalons", lambda y: _milestone_rows(scale, roadmap.milestones, y)),
        ("Équipe et disponibilités", lambda y: _member_rows(scale, roadmap, y)),
    ):
        heading, y = _section(y, title)
        drawn, y = rows(y)
        body += heading + drawn
    legend, height = _legend(y + 6)
    grid = _grid(scale, y)
    # Safe markup: every text node above went through escape(); the rest is numbers and constants.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" '
        f'viewBox="0 0 {_n(WIDTH)} {_n(height)}" width="{_n(WIDTH)}" height="{_n(height)}">'
        + f"<style>{STYLE}</style>"
        + "".join(grid + body + legend)
        + "</svg>"
    )
