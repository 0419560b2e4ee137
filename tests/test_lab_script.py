"""examples/lab.py keeps one state file per lab: one person's `down` never removes another's
lab, and with several up it asks which."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import ClassVar

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


@pytest.mark.parametrize(
    ("prefix", "up", "problem"),
    [
        ("hq", [], None),
        ("hq", ["hqx-cli", "h-cli"], None),  # another lab's names only begin alike
        ("lab123456", [], None),  # 9 characters: "<prefix>-nat64" is 15, IFNAMSIZ's limit
        ("lab1234567", [], "1 to 9 lowercase letters"),
        ("HQ", [], "1 to 9 lowercase letters"),
        ("1hq", [], "1 to 9 lowercase letters"),
        ("h-q", [], "1 to 9 lowercase letters"),
        ("", [], "1 to 9 lowercase letters"),
        ("hq", ["hq-cli", "hq-rtr"], "namespaces hq-cli, hq-rtr exist already"),
    ],
)
def test_a_lab_prefix_fits_the_interface_names(
    script: ModuleType, prefix: str, up: list[str], problem: str | None
) -> None:
    got = script.prefix_problem(prefix, up)
    assert got is None if problem is None else problem in got


def test_a_prefix_already_up_is_refused(script: ModuleType) -> None:
    script._save({"prefix": "hq", "scenario": "home"})
    assert "lab hq is already up" in script.prefix_problem("hq", [])


class _FakeLab:
    """What cmd_up/cmd_switch ask of a Lab, recorded (building one needs root)."""

    made: ClassVar[list[_FakeLab]] = []
    checked: ClassVar[list[str | None]] = []  # the prefixes unavailable_reason was given

    def __init__(self, regions: tuple[str, ...], prefix: str = "") -> None:
        self.regions, self.prefix = regions, prefix or "wl0abc"
        self.applied: list[object] = []
        self.names = type("N", (), {"cli": f"{self.prefix}-cli"})()
        _FakeLab.made.append(self)

    @classmethod
    def attach(cls, state: dict[str, object]) -> _FakeLab:
        return cls(tuple(state["regions"]), str(state["prefix"]))  # type: ignore[arg-type]

    def up(self) -> None:
        pass

    def down(self) -> list[str]:
        return []

    def apply(self, shape: object) -> None:
        self.applied.append(shape)

    def state(self) -> dict[str, object]:
        return {"prefix": self.prefix, "regions": list(self.regions)}

    def user_command(self, region: str, shape: object = None) -> str:
        return f"wsdiag check --region {region}"


@pytest.fixture
def fake_lab(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> type[_FakeLab]:
    _FakeLab.made = []
    _FakeLab.checked = []
    monkeypatch.setattr(script, "Lab", _FakeLab)
    monkeypatch.setattr(
        script, "unavailable_reason", lambda prefix=None: _FakeLab.checked.append(prefix)
    )
    monkeypatch.setattr(script, "list_namespaces", lambda: [])
    return _FakeLab


def _pinned(shape: object) -> set[str]:
    return {name for _, name in shape.hosts}  # type: ignore[attr-defined]


def test_up_takes_a_prefix_and_pins_the_labs_region(
    script: ModuleType, fake_lab: type[_FakeLab], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.lab.scenarios import endpoint_host

    args = script.argparse.Namespace(scenario="hosts-pin", region="ap-northeast-1", lab="hq")
    assert script.cmd_up(args) == 0
    (lab,) = fake_lab.made
    assert lab.prefix == "hq" and "hq-cli" in capsys.readouterr().out
    assert fake_lab.checked == ["hq"]  # the machine's check namespace carries the lab's name
    assert _pinned(lab.applied[0]) == {endpoint_host("ap-northeast-1")}
    assert json.loads(script._state_file("hq").read_text())["scenario"] == "hosts-pin"
    # a bad prefix stops before anything is built
    args.lab = "HQ!"
    assert script.cmd_up(args) == 1 and len(fake_lab.made) == 1
    assert "lowercase" in capsys.readouterr().err
    assert fake_lab.checked == ["hq"]  # refused before any namespace was made with it


def test_switch_pins_the_name_of_the_labs_region(
    script: ModuleType, fake_lab: type[_FakeLab]
) -> None:
    from tests.lab.scenarios import BY_NAME, endpoint_host

    script._save({"prefix": "hq", "regions": ["ap-northeast-1"], "scenario": "minimal-egress"})
    args = script.argparse.Namespace(scenario="hosts-pin", lab="hq")
    assert script.cmd_switch(args) == 0
    assert _pinned(fake_lab.made[0].applied[0]) == {endpoint_host("ap-northeast-1")}
    # in its own region the scenario's shape is untouched
    assert script.shape_for(BY_NAME["hosts-pin"], "eu-west-1") is BY_NAME["hosts-pin"].shape
