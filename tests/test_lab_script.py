"""examples/lab.py keeps one state file per lab: one person's `down` never removes another's
lab, and with several up it asks which."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "lab.py"


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("lab_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STATE_DIR", tmp_path / "wsdiag-lab")
    return module


def test_each_lab_has_its_own_state(script: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert script._load(None) is None
    script._save({"prefix": "wl0001", "scenario": "home"})
    assert script._load(None)["prefix"] == "wl0001"
    script._save({"prefix": "wl0002", "scenario": "closed"})
    assert script._load(None) is None  # two up: which one is not guessed
    assert "wl0001, wl0002" in capsys.readouterr().err
    assert script._load("wl0002")["scenario"] == "closed"
    assert script._load("wl9999") is None
    files = sorted(p.name for p in script.STATE_DIR.iterdir())
    assert files == ["wl0001.json", "wl0002.json"]
    assert json.loads((script.STATE_DIR / "wl0001.json").read_text())["scenario"] == "home"
