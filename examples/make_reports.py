"""Regenerate the sample reports in examples/reports/ from real lab runs (root, Linux).

    sudo python examples/make_reports.py            # every sample named below
    sudo python examples/make_reports.py closed     # just these
    sudo python examples/make_reports.py --prefix h19 closed   # the lab's namespaces h19-*

Each sample is the real `wsdiag check --json --redact-host` of one lab scenario, and the
text beside it is what `wsdiag check` prints for that report, piped, at 80 columns. A sample
whose environment or verdict is not the scenario's expected one is not written (exit 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.lab.scenarios import BY_NAME  # noqa: E402
from tests.lab.topology import Lab, unavailable_reason  # noqa: E402
from wsdiag.render.report import report_from_json  # noqa: E402
from wsdiag.render.text import render_text  # noqa: E402

SAMPLES = (
    "closed",
    "minimal-egress",
    "open-egress",
    "home",
    "home-public",
    "udp-blocked",
    "sg-missing-4195",
    "resolver-unreachable",
    "no-route",
    "reject",
    "one-eni-no-udp",
    "lan-device",
    "tls-inspected-trusted",
    "hosts-pin",
    "captive-portal",
)
OUT = REPO_ROOT / "examples" / "reports"


def main(argv: list[str]) -> int:
    prefix = ""  # the lab's namespace prefix; "": a free random one
    if argv[:1] == ["--prefix"] and len(argv) > 1:
        prefix, argv = argv[1], argv[2:]
    reason = unavailable_reason()
    if reason is not None:
        print(f"make_reports: the lab cannot run here: {reason}", file=sys.stderr)
        return 3
    scenarios = [BY_NAME[n] for n in argv or SAMPLES]
    regions = tuple(dict.fromkeys(s.region for s in scenarios))
    with Lab(regions=regions, prefix=prefix) as lab:
        for s in scenarios:
            lab.apply(s.shape)
            run = lab.run_wsdiag(
                s.region,
                "--redact-host",
                trusts_lab_ca=s.shape.trusts_lab_ca,
                public_roots=s.shape.public_roots,
            )
            if run.report is None:
                print(
                    f"{s.name}: no report (exit {run.exit_code}): {run.stderr[-300:]}",
                    file=sys.stderr,
                )
                return 1
            got = (run.report["environment"], run.report["verdict"])
            if got != (s.expect.environment, s.expect.verdict):
                want = (s.expect.environment, s.expect.verdict)
                print(f"{s.name}: {got} is not the scenario's {want}", file=sys.stderr)
                return 1
            (OUT / f"{s.name}.json").write_text(json.dumps(run.report, indent=2) + "\n")
            text = render_text(report_from_json(run.report), width=80)
            (OUT / f"{s.name}.txt").write_text(text)
            print(f"{s.name}: {run.report['environment']} {run.report['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
