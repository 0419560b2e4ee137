"""The wheel carries the catalog, the schemas and the HTML template, so an installed wsdiag
finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_catalog_and_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("wsdiag-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "wsdiag/catalogs/catalog.toml",
        "wsdiag/schema/report.schema.json",
        "wsdiag/schema/logs.schema.json",
        "wsdiag/py.typed",
        "wsdiag/render/templates/report.html.j2",
    } <= names
    assert any(n.endswith("entry_points.txt") for n in names)
