#!/usr/bin/env python3
"""Rewrite README.md's environment-rule and findings tables from the rule rows.

Usage: python scripts/gen-docs.py [--check]   (--check: exit 1 if README.md is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wsdiag.rules.docs import render  # noqa: E402


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in argv:
        if new != old:
            print("README.md is stale: run python scripts/gen-docs.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        path.write_text(new, encoding="utf-8")
        print("README.md: tables rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
