"""A silent network, as a user waits for it: the whole `wsdiag check` process in the
namespace lab, this tree against the baseline (bench/common.py), interleaved.

    python bench/bench_silent.py             # root; about a minute
    python bench/bench_silent.py --runs 9 --timeout 1

1. The internet silent (the lab's "closed": the endpoint answers through the VPC, every
   internet address drops TCP and UDP), --timeout 2: whole process <= timeout + 0.25 s.
   Silence cannot be proven faster than the timeout; the rest is wsdiag's.
2. Everything silent, the resolver too ("resolver-unreachable"): DNS costs one timeout and
   nothing is left to probe (info).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import budgets
from bench.common import (
    FIRST_PACKET_MODULES,
    RUNS,
    Table,
    imports,
    interleaved,
    median,
    python,
    secs,
    stack_floor,
    trees,
)
from bench.labrun import lab_up, run
from tests.lab.scenarios import BY_NAME

CASES = (
    ("closed", "internet silent", True),
    ("resolver-unreachable", "resolver silent too", False),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    t = args.timeout
    table = Table(f"silent network (namespace lab), --timeout {t:g}")
    both = trees()
    with lab_up(tuple(c[0] for c in CASES)) as lab:
        if isinstance(lab, str):
            table.skip("silent network", lab)
            return table.print()
        for name, label, budgeted in CASES:
            scenario = BY_NAME[name]
            lab.apply(scenario.shape)
            samples = interleaved(
                {k: (lambda tr=tree, s=scenario: run(lab, s, tr, t)) for k, tree in both.items()},
                args.runs,
            )
            now, before = samples["now"], samples.get("before", [])
            wall = median([m.wall for m in now])
            base = median([m.wall for m in before])
            limit = budgets.SILENT_OVER_TIMEOUT_S
            table.row(
                f"{label}: whole process - timeout (n={args.runs})",
                f"+{secs(wall - t)}",
                f"before +{secs(base - t)}" if before else "-",
                f"{secs(wall - base)}" if before else "",
                f"<= +{secs(limit)}" if budgeted else "",
                (wall - t <= limit) if budgeted else None,
            )
            table.row(
                f"{label}: CPU of the process (steadier than wall on a busy machine)",
                secs(median([m.cpu for m in now])),
                f"before {secs(median([m.cpu for m in before]))}" if before else "-",
            )
            table.row(
                f"{label}: duration_ms (network part)",
                secs(median([m.duration for m in now])),
                f"before {secs(median([m.duration for m in before]))}" if before else "-",
            )
            answers = {m.answer for m in now}
            same = not before or answers == {m.answer for m in before}
            table.row(
                f"{label}: environment, verdict, codes",
                " / ".join(map(str, sorted(answers)[0][:3])) if len(answers) == 1 else "varies",
                "same as before" if same else "DIFFERS",
                "",
                "= the baseline's",
                len(answers) == 1 and same,
            )
            if not same:
                table.notes.append(
                    f"{name}: now {sorted(answers)}; before {sorted({m.answer for m in before})}"
                )
            table.notes.append(
                f"{name}: whole process now "
                + ", ".join(secs(m.wall) for m in now)
                + (("; before " + ", ".join(secs(m.wall) for m in before)) if before else "")
            )
    wall, cpu = stack_floor(args.runs, imports(FIRST_PACKET_MODULES))
    table.row(
        "the first query's libraries alone (typer, asyncio, dnspython; whole process)",
        secs(wall),
        f"CPU {secs(cpu)}",
        "",
        "the floor under 'whole process - timeout'",
    )
    table.notes.append(f"interpreter: {python()[1]}")
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
