"""Bring one simulated network up by hand, run wsdiag in it, take it down again.

    sudo python examples/lab.py list
    sudo python examples/lab.py up minimal-egress --region eu-west-1
    sudo ip netns exec <client-ns> env SSL_CERT_FILE=<ca> wsdiag check --region eu-west-1
    sudo python examples/lab.py switch udp-blocked      # same lab, other scenario
    sudo python examples/lab.py down

The namespaces, resolvers and servers stay up between commands; what they are is kept in a
small state file (``/run/wsdiag-lab.json``), which ``down`` reads to remove all of it.
Needs root, iproute2, nftables and dnsmasq (``scripts/lab-deps.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.lab.scenarios import BY_NAME, SCENARIOS  # noqa: E402
from tests.lab.topology import Lab, unavailable_reason  # noqa: E402
from wsdiag.errors import WsdiagError  # noqa: E402

STATE = Path("/run" if os.access("/run", os.W_OK) else "/tmp") / "wsdiag-lab.json"


def _load() -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads(STATE.read_text())
    except FileNotFoundError:
        return None
    return data


def cmd_list(_: argparse.Namespace) -> int:
    state = _load()
    if state:
        print(f"up: {state['prefix']} scenario={state.get('scenario')} ({STATE})\n")
    print(f"{'scenario':<22}{'region':<16}{'environment':<16}{'verdict':<10}exit  network")
    for s in SCENARIOS:
        e = s.expect
        print(
            f"{s.name:<22}{s.region:<16}{e.environment:<16}{e.verdict:<10}{e.exit_code:<6}{s.story}"
        )
    return 0


def _instructions(lab: Lab, region: str) -> None:
    ns = lab.names.cli
    print(f"lab {lab.prefix} is up; client namespace {ns}")
    if shutil.which("wsdiag"):
        print(
            f"  ip netns exec {ns} env SSL_CERT_FILE={lab.ca_path} wsdiag check --region {region}"
        )
    print(f"  {lab.user_command(region)}")
    print(f"  ip netns exec {ns} bash    # a shell on the simulated laptop")
    print("take it down with: python examples/lab.py down")


def cmd_up(args: argparse.Namespace) -> int:
    if _load() is not None:
        print(f"a lab is already up ({STATE}); run `down` first", file=sys.stderr)
        return 1
    if reason := unavailable_reason():
        print(f"cannot build the lab: {reason}", file=sys.stderr)
        return 1
    scenario = BY_NAME[args.scenario]
    region = args.region or scenario.region
    try:
        lab = Lab(regions=(region,))
    except WsdiagError as exc:
        print(exc, file=sys.stderr)
        return 1
    lab.up()
    try:
        lab.apply(scenario.shape)
        STATE.write_text(json.dumps({**lab.state(), "scenario": scenario.name}, indent=2))
    except BaseException:
        lab.down()
        raise
    print(f"scenario {scenario.name}: {scenario.story}")
    print(f"expected: environment={scenario.expect.environment} verdict={scenario.expect.verdict}")
    _instructions(lab, region)
    return 0


def cmd_switch(args: argparse.Namespace) -> int:
    state = _load()
    if state is None:
        print("no lab is up", file=sys.stderr)
        return 1
    lab = Lab.attach(state)
    scenario = BY_NAME[args.scenario]
    lab.apply(scenario.shape)
    STATE.write_text(json.dumps({**state, "scenario": scenario.name}, indent=2))
    print(f"scenario {scenario.name}: {scenario.story}")
    _instructions(lab, lab.regions[0])
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    state = _load()
    if state is None:
        print("no lab is up")
        return 0
    errors = Lab.attach(state).down()
    for err in errors:
        print(f"clean-up: {err}", file=sys.stderr)
    if errors:
        return 1
    STATE.unlink()
    print(f"lab {state['prefix']} removed")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="scenarios and what wsdiag should say").set_defaults(fn=cmd_list)
    up = sub.add_parser("up", help="build the lab in one scenario")
    up.add_argument("scenario", choices=sorted(BY_NAME))
    up.add_argument("--region", help="region wsdiag will be asked about (default: scenario's)")
    up.set_defaults(fn=cmd_up)
    switch = sub.add_parser("switch", help="re-shape the running lab into another scenario")
    switch.add_argument("scenario", choices=sorted(BY_NAME))
    switch.set_defaults(fn=cmd_switch)
    sub.add_parser("down", help="remove everything the lab made").set_defaults(fn=cmd_down)
    args = parser.parse_args()
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
