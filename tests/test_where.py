"""Pure: where wsdiag runs (a fake root per case) and which DNS agent answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsdiag.host.dns_agents import agent_processes, agents_seen
from wsdiag.host.where import RunsIn, detect


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "env", "want"),
    [
        ({"proc/sys/kernel/osrelease": "5.15.153.1-microsoft-standard-WSL2\n"}, {}, RunsIn.WSL),
        ({"proc/sys/kernel/osrelease": "4.4.0-19041-Microsoft\n"}, {}, RunsIn.WSL),  # WSL 1
        ({}, {"WSL_DISTRO_NAME": "Ubuntu"}, RunsIn.WSL),
        ({}, {"WSL_INTEROP": "/run/WSL/8_interop"}, RunsIn.WSL),
        # WSL first: Docker inside a WSL distribution is still WSL's network
        (
            {"proc/sys/kernel/osrelease": "5.15.1-microsoft-standard-WSL2", ".dockerenv": ""},
            {},
            RunsIn.WSL,
        ),
        ({".dockerenv": ""}, {}, RunsIn.CONTAINER),
        ({"run/.containerenv": "engine=podman\n"}, {}, RunsIn.CONTAINER),
        ({"proc/1/cgroup": "0::/kubepods/besteffort/pod1234/abcd\n"}, {}, RunsIn.CONTAINER),
        ({"proc/1/cgroup": "12:cpuset:/docker/0123456789ab\n"}, {}, RunsIn.CONTAINER),
        (
            {"proc/1/cgroup": "0::/init.scope\n", "proc/sys/kernel/osrelease": "6.1.0-18-amd64"},
            {},
            RunsIn.HOST,
        ),
        ({}, {"WSL_DISTRO_NAME": ""}, RunsIn.HOST),
    ],
)
def test_detect(tmp_path: Path, files: dict[str, str], env: dict[str, str], want: RunsIn) -> None:
    where = detect(_root(tmp_path, files), env)
    assert where.runs_in is want
    assert bool(where.why) == (want is not RunsIn.HOST)


def test_an_unreadable_root_is_the_host(tmp_path: Path) -> None:
    assert detect(tmp_path / "missing", {}).runs_in is RunsIn.HOST


def test_agents_by_resolver_and_process() -> None:
    (seen,) = agents_seen(["100.100.100.100"], ["bash", "Tailscaled"], ["tailscale0", "utun3"])
    assert seen.agent.name == "Tailscale MagicDNS"
    assert seen.signs == ("resolver 100.100.100.100", "process tailscaled", "interface tailscale0")
    assert "a2z.com" in seen.agent.setting and seen.agent.source


def test_an_interface_alone_names_no_agent() -> None:
    assert agents_seen(["10.0.0.2"], ["bash"], ["utun4", "tailscale0"]) == ()


def test_warp_by_its_local_resolver() -> None:
    names = [s.agent.name for s in agents_seen(["127.0.2.2"], [])]
    assert names == ["Cloudflare WARP"]


def test_only_agent_process_names_are_kept() -> None:
    names = ["bash", "WARP-SVC", "sshd", "warp-svc", "", "zsatunnel.exe"]
    assert agent_processes(names) == ("warp-svc", "zsatunnel.exe")
