"""Run every benchmark (or those named), print a table, write .bench/results.json."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import sys
from pathlib import Path

import benchmarks

OUT = Path(".bench") / "results.json"


def main(argv: list[str]) -> int:
    # The fakes and clients log every request at INFO: keep the table readable.
    logging.disable(logging.INFO)
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    figures = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        figures.extend(importlib.import_module(f"benchmarks.{name}").run())
    width = max((len(f.name) for f in figures), default=10)
    print(f"\n{'figure':<{width}}  {'value':>12}  {'goal':<12}  ok")
    for f in figures:
        print(
            f"{f.name:<{width}}  {f.value:>12}{f.unit:<2}  {f.goal:<12}  {'yes' if f.ok else 'NO'}"
        )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps([f.as_dict() for f in figures], indent=2))
    print(f"\n{sum(f.ok for f in figures)}/{len(figures)} figures meet their goal; wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
