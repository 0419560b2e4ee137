"""Start-up: what runs before a check's first packet, step by step, and the CLI's start-up,
this tree against the baseline (bench/common.py), interleaved.

    python bench/bench_startup.py           # about half a minute
    python bench/bench_startup.py --runs 9

1. Before the first packet: a real `wsdiag check` whose composition root's steps are timed
   from the process start (interpreter, CLI import, client logs, catalog, proxy and PAC
   discovery, trust roots, the network stack) and which stops where the runner would send
   its first packet; nothing is sent (it also runs in a fresh, empty network namespace
   when it can: `unshare --net`). Median per step, and the CPU time of the whole.
2. `wsdiag --version` <= 1.3x and `wsdiag --help` <= 3x `python -c "import typer"`
   (medians of per-round ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import budgets
from bench.common import RUNS, STACK, Table, interleaved, median, python, secs, tree_env, trees

# Runs the CLI with the composition root's steps wrapped; prints one JSON line of
# (step, seconds since the process start at its end) and exits at the first packet.
HARNESS = r"""
import json, sys, time
from wsdiag import clock
marks = [("interpreter and site", clock.elapsed())]
import wsdiag.cli as cli
marks.append(("import the CLI (typer)", clock.elapsed()))
try:
    import wsdiag.run as root
except ImportError:  # the baseline: the composition root before it moved
    import wsdiag.check.diagnose as root
marks.append(("import the composition root", clock.elapsed()))
import asyncio
import wsdiag.cli_options as options

def step(module, name, label):
    fn = getattr(module, name, None)
    if fn is None:
        return
    def timed(*a, **k):
        marks.append(("(between steps)", clock.elapsed()))
        out = fn(*a, **k)
        marks.append((label, clock.elapsed()))
        return out
    setattr(module, name, timed)

step(options, "prepare", "client logs, region (prepare)")
cli.prepare = options.prepare
for name, label in (
    ("load_catalog", "catalog"),
    ("discover_safely", "proxy discovery"),
    ("make_plan", "plan"),
    ("_with_pac", "PAC discovery"),
    ("_check_public_roots", "trust roots (public-roots file)"),
    ("real_probes", "network stack (lookups, probe kinds)"),
):
    step(root, name, label)

class FirstPacket(BaseException):
    pass

def first_packet(coro, *a, **k):
    coro.close()
    marks.append(("(to the first packet)", clock.elapsed()))
    cpu.append(time.process_time())  # every thread's, up to here (not the exit's joins)
    raise FirstPacket

cpu = []

asyncio.run = first_packet
sys.argv = ["wsdiag", *sys.argv[1:]]
try:
    try:
        command = cli._command(sys.argv[1:])
    except TypeError:  # the baseline's: every command built, whatever argv names
        command = cli._command()
    command(prog_name="wsdiag", standalone_mode=False)
except FirstPacket:
    pass
print(json.dumps({"marks": marks, "cpu": cpu[0] if cpu else None}))
"""

CHECK = ["check", "--region", "eu-west-1", "--json", "--nameserver", "127.0.0.1"]


def steps_once(tree: Path) -> tuple[dict[str, float], float, float]:
    """({step: seconds}, seconds to the first packet, CPU seconds to it) of one run."""
    unshare = shutil.which("unshare")
    isolate = [unshare, "--net"] if unshare and os.geteuid() == 0 else []
    proc = budgets.run_measured(
        [*isolate, python()[0], "-c", HARNESS, *CHECK], tree_env(tree), cwd=tree
    )
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    out: dict[str, float] = {}
    prev = 0.0
    for name, at in got["marks"]:
        out[name] = out.get(name, 0.0) + (at - prev)
        prev = at
    # The process's CPU at the first packet: the exit that follows may wait for background
    # imports (a non-daemon thread), which the first packet never waited for.
    return out, prev, got["cpu"] if got["cpu"] is not None else proc.cpu


def startup_once(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    both = trees()
    table = Table("start-up: before the first packet, --version, --help")

    samples = interleaved({k: (lambda t=t: steps_once(t)) for k, t in both.items()}, args.runs)
    names = list(dict.fromkeys(n for runs in samples.values() for s, _, _ in runs for n in s))
    for name in names:
        now = median([s.get(name, 0.0) for s, _, _ in samples["now"]])
        before = samples.get("before")
        base = median([s.get(name, 0.0) for s, _, _ in before]) if before else None
        table.row(
            f"  {name}",
            secs(now),
            f"before {secs(base)}" if base is not None else "-",
            f"{secs(now - base)}" if base is not None else "",
        )
    for what, index in (("to the first packet, wall", 1), ("to the first packet, CPU", 2)):
        now = median([r[index] for r in samples["now"]])
        before = samples.get("before")
        base = median([r[index] for r in before]) if before else None
        table.row(
            what,
            secs(now),
            f"before {secs(base)}" if base is not None else "-",
            f"{now / base:.2f}x" if base else "",
        )

    py = python()[0]
    cmds: dict[str, tuple[list[str], Path]] = {
        "import typer": ([py, "-c", "import typer"], Path("/")),
        "stack": ([py, "-c", STACK], Path("/")),
    }
    for k, tree in both.items():
        cmds[f"{k} --version"] = ([py, "-m", "wsdiag", "--version"], tree)
        cmds[f"{k} --help"] = ([py, "-m", "wsdiag", "--help"], tree)
    envs = {
        k: tree_env(
            both["now" if k.startswith("now") or k in ("import typer", "stack") else "before"]
        )
        for k in cmds
    }
    for env in envs.values():
        env.update(COLUMNS="100", NO_COLOR="1")
    times = interleaved(
        {k: (lambda c=c, e=envs[k], d=d: startup_once(c, e, d)) for k, (c, d) in cmds.items()},
        args.runs,
    )
    floor = times["import typer"]

    def ratio(name: str) -> float:
        return median([x / y for x, y in zip(times[name], floor, strict=True)])

    for flag, limit in (("--version", budgets.VERSION_VS_TYPER), ("--help", budgets.HELP_VS_TYPER)):
        now = ratio(f"now {flag}")
        shown = f"before {ratio(f'before {flag}'):.2f}x" if f"before {flag}" in times else "-"
        table.row(
            f"wsdiag {flag} / import typer",
            f"{now:.2f}x ({secs(median(times[f'now {flag}']))})",
            shown,
            f"typer {secs(median(floor))}",
            f"<= {limit}x",
            now <= limit,
        )
    table.row(
        "the stack alone (its libraries' imports, no wsdiag)",
        secs(median(times["stack"])),
        "",
        "",
        "the floor under the figures above",
    )
    table.notes.append(f"interpreter: {python()[1]}")
    table.notes.append(
        "steps in ( ) are the time between the named steps (argument parsing, module "
        "bodies); the composition root's imports count in 'import the composition root'"
    )
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
