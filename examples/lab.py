"""Bring one simulated network up by hand, run wsdiag in it, take it down again.

    sudo python examples/lab.py list
    sudo python examples/lab.py up minimal-egress --region eu-west-1 [--lab PREFIX]
    sudo <the command it prints>                        # wsdiag on the simulated laptop
    sudo python examples/lab.py switch udp-blocked      # same lab, other scenario
    sudo python examples/lab.py down

The namespaces, resolvers and servers stay up between commands; what they are is kept in
one state file per lab (``/run/wsdiag-lab/<prefix>.json``), which ``down`` reads to remove
all of that lab and nothing of another. ``up --lab PREFIX`` names the lab (its namespaces are
``PREFIX-cli`` and so on; default: a free ``wl<4 hex>``); with several labs up, ``switch`` and
``down`` need ``--lab PREFIX``. A scenario's region-specific settings (the private name a
hosts file pins) follow the lab's region, so ``up --region`` and ``switch`` into a lab built
for another region still give the verdict ``list`` expects. The printed command carries the
scenario's trust settings, so it gives the verdict ``list`` expects too. Needs root,
iproute2, nftables and dnsmasq (``scripts/lab-deps.sh``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.lab.scenarios import BY_NAME, SCENARIOS, Scenario, endpoint_host  # noqa: E402
from tests.lab.topology import Lab, Shape, list_namespaces, unavailable_reason  # noqa: E402
from wsdiag.errors import WsdiagError  # noqa: E402

STATE_DIR = Path("/run" if os.access("/run", os.W_OK) else "/tmp") / "wsdiag-lab"


# A lab's names are "<prefix>-cli", "<prefix>-nat64" (a tun device): Linux allows 15
# characters in an interface name (IFNAMSIZ 16 with the NUL), so a prefix has 9 at most;
# lowercase letters and digits, as the namespaces, nft table and Squid service carry it.
_PREFIX_RE = re.compile(r"[a-z][a-z0-9]{0,8}")


def prefix_problem(prefix: str, up: list[str]) -> str | None:
    """Why ``prefix`` cannot name a new lab, or None. ``up``: the network namespaces that
    exist now (``ip netns list``)."""
    if not _PREFIX_RE.fullmatch(prefix):
        return (
            f"--lab {prefix!r}: 1 to 9 lowercase letters and digits, starting with a letter "
            "(the lab's interface names carry it)"
        )
    if _state_file(prefix).exists():
        return f"lab {prefix} is already up (switch it, or take it down first)"
    clash = sorted(n for n in up if n.startswith(prefix + "-"))
    if clash:
        return f"--lab {prefix}: namespaces {', '.join(clash)} exist already"
    return None


def shape_for(scenario: Scenario, region: str) -> Shape:
    """``scenario``'s shape for a lab asked about ``region``: a hosts-file line for the
    scenario's own region's private name names ``region``'s instead (hosts-pin is written
    for eu-west-1; pinning that name in an ap-northeast-1 lab tested nothing)."""
    if region == scenario.region:
        return scenario.shape
    theirs, ours = endpoint_host(scenario.region), endpoint_host(region)
    hosts = tuple((a, ours if name == theirs else name) for a, name in scenario.shape.hosts)
    return dataclasses.replace(scenario.shape, hosts=hosts)


def _state_file(prefix: str) -> Path:
    return STATE_DIR / f"{prefix}.json"


def _labs() -> list[dict[str, object]]:
    out = []
    for path in sorted(STATE_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("prefix"), str):
            out.append(data)
    return out


def _load(prefix: str | None) -> dict[str, object] | None:
    """The lab named by ``prefix``, or the only one up; None (with the reason printed)."""
    labs = _labs()
    if prefix is not None:
        found = [lab for lab in labs if lab["prefix"] == prefix]
        if not found:
            print(f"no lab {prefix} is up", file=sys.stderr)
        return found[0] if found else None
    if len(labs) > 1:
        names = ", ".join(str(lab["prefix"]) for lab in labs)
        print(f"several labs are up ({names}): name one with --lab", file=sys.stderr)
        return None
    if not labs:
        print("no lab is up", file=sys.stderr)
    return labs[0] if labs else None


def _save(state: dict[str, object]) -> None:
    STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    _state_file(str(state["prefix"])).write_text(json.dumps(state, indent=2))


def cmd_list(_: argparse.Namespace) -> int:
    for state in _labs():
        print(f"up: {state['prefix']} scenario={state.get('scenario')}")
    w = max(len("scenario"), *(len(s.name) for s in SCENARIOS)) + 2  # the longest name
    print(f"{'scenario':<{w}}{'region':<16}{'environment':<16}{'verdict':<10}exit  network")
    for s in SCENARIOS:
        e = s.expect
        print(
            f"{s.name:<{w}}{s.region:<16}{e.environment:<16}{e.verdict:<10}{e.exit_code:<6}{s.story}"
        )
    return 0


def _instructions(lab: Lab, region: str, scenario: Scenario) -> None:
    ns = lab.names.cli
    print(f"lab {lab.prefix} is up; client namespace {ns}")
    print(f"  {lab.user_command(region, shape_for(scenario, region))}")
    print(f"  ip netns exec {ns} bash    # a shell on the simulated laptop")
    print(f"take it down with: python examples/lab.py down --lab {lab.prefix}")


def cmd_up(args: argparse.Namespace) -> int:
    # The prefix's spelling first: the check below makes a namespace named with it.
    if args.lab is not None and not _PREFIX_RE.fullmatch(args.lab):
        print(prefix_problem(args.lab, []), file=sys.stderr)
        return 1
    if reason := unavailable_reason(args.lab):
        print(f"cannot build the lab: {reason}", file=sys.stderr)
        return 1
    if args.lab is not None and (problem := prefix_problem(args.lab, list_namespaces())):
        print(problem, file=sys.stderr)
        return 1
    scenario = BY_NAME[args.scenario]
    region = args.region or scenario.region
    try:
        lab = Lab(regions=(region,), prefix=args.lab or "")
    except WsdiagError as exc:
        print(exc, file=sys.stderr)
        return 1
    lab.up()
    try:
        lab.apply(shape_for(scenario, region))
        _save({**lab.state(), "scenario": scenario.name})
    except BaseException:
        lab.down()
        raise
    print(f"scenario {scenario.name}: {scenario.story}")
    print(f"expected: environment={scenario.expect.environment} verdict={scenario.expect.verdict}")
    _instructions(lab, region, scenario)
    return 0


def cmd_switch(args: argparse.Namespace) -> int:
    state = _load(args.lab)
    if state is None:
        return 1
    lab = Lab.attach(state)
    scenario = BY_NAME[args.scenario]
    lab.apply(shape_for(scenario, lab.regions[0]))
    _save({**state, "scenario": scenario.name})
    print(f"scenario {scenario.name}: {scenario.story}")
    print(f"expected: environment={scenario.expect.environment} verdict={scenario.expect.verdict}")
    _instructions(lab, lab.regions[0], scenario)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state = _load(args.lab)
    if state is None:
        return 1
    errors = Lab.attach(state).down()
    for err in errors:
        print(f"clean-up: {err}", file=sys.stderr)
    if errors:
        return 1
    _state_file(str(state["prefix"])).unlink(missing_ok=True)
    print(f"lab {state['prefix']} removed")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="scenarios and what wsdiag should say").set_defaults(fn=cmd_list)
    up = sub.add_parser("up", help="build the lab in one scenario")
    up.add_argument("scenario", choices=sorted(BY_NAME))
    up.add_argument("--region", help="region wsdiag will be asked about (default: scenario's)")
    up.add_argument("--lab", metavar="PREFIX", help="name the lab (default: a free wl<4 hex>)")
    up.set_defaults(fn=cmd_up)
    switch = sub.add_parser("switch", help="re-shape the running lab into another scenario")
    switch.add_argument("scenario", choices=sorted(BY_NAME))
    switch.add_argument("--lab", metavar="PREFIX", help="which lab, when several are up")
    switch.set_defaults(fn=cmd_switch)
    down = sub.add_parser("down", help="remove everything one lab made")
    down.add_argument("--lab", metavar="PREFIX", help="which lab, when several are up")
    down.set_defaults(fn=cmd_down)
    args = parser.parse_args()
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
