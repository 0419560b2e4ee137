"""Benchmark of `wsdiag check` on loopback: the runner against sequential probes, the cost of TLS
recording, silent targets. A report, not a test.

    python bench/bench_check.py        # from the repo root; about a minute on 2 cores

Prints one table (metric, value, baseline, ratio, target, PASS/FAIL/info) and exits 0.

1. All answering: the real `wsdiag check` (subprocess) against the TLS/QUIC/TCP servers of
   tests/support/servers.py and the DNS server of tests/support/dnsserver.py: wall time and
   the JSON `duration_ms`, median of N runs.
2. Silent: fully silent (the resolver too: DNS costs one timeout, then nothing is left to
   probe), the whole process against --timeout (info); and silent targets (DNS
   answers, every target address drops TCP SYNs and UDP: no RST, no ICMP): the whole process
   (info) and `duration_ms` against the per-probe --timeout (target <= 1.1 x timeout).
3. Concurrent vs sequential: the runner (`run_plan`) against the same probe functions
   awaited one after another, in-process, same plan, both networks (target >= 10x on silent).
   TLS recording, in-process, interleaved rounds of the same plan: (a) the endpoint's extra
   handshakes on TCP 443/4195 (identity) against the same run without them: target <= 1.1x
   on the answering network, <= 1.05x (jitter) on the silent one; (b) sign-in chains recorded and
   judged offline (public root, OS store) against the former in-handshake verification,
   reported (info); (c) both against neither: what `wsdiag check` pays in all.
4. The budgets measured here (constants in bench/budgets.py): peak RSS of every `wsdiag
   check` run here <= 60 MB (the child's own, from wait4); the largest
   examples/reports/*.json as one line of JSON <= 20 kB. The fully silent loopback network
   is printed beside the silent budget (the budget itself is bench_silent.py's, in the lab).
   Start-up (--version, --help, each step before the first packet) is bench_startup.py's.

Network: only 127.0.0.0/8, in a random 127.N.0.0/16. As root with iproute2 and nftables the
benchmark re-runs itself inside a fresh network namespace (wsb<hex>) whose loopback drops,
on input, everything addressed to the two "silent" /24s; the namespace, and every process,
socket and thread started here, are removed afterwards, also on failure or Ctrl-C. Without
a namespace the silent rows are reported as SKIP.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support is not installed; run from anywhere

from bench import budgets  # noqa: E402
from tests.support.processes import stop_process  # noqa: E402

REGION = "eu-west-1"
DIRECTORY = "d-1234567890"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"

ANSWER_RUNS = 5  # `wsdiag check`, all answering
SILENT_RUNS = 3  # `wsdiag check`, silent, per timeout
INPROC_RUNS = 3  # in-process run_plan / sequential (answering)
T_ANSWER = 2.0  # the CLI default; irrelevant when everything answers
T_SILENT = (0.5, 2.0)  # a short one (also the sequential baseline) and the CLI default
SILENT_FACTOR = 1.1
SPEEDUP_MIN = 10.0
PEAK_RSS: list[float] = []  # MB, every `wsdiag check` this run
TLS_ROUNDS = 15  # interleaved with/without TLS recording, answering (silent: 5)
# Silent: no connect completes, so no extra handshake can start; 1.05x is the run-to-run
# jitter of a 0.5 s run on a shared 2-core box, not a cost.
TLS_FACTOR = {"answering": 1.10, "silent": 1.05}


# --- addresses ------------------------------------------------------------------------


@dataclass(frozen=True)
class Net:
    n: int  # 127.n.0.0/16

    def ip(self, sub: int, host: int) -> str:
        return f"127.{self.n}.{sub}.{host}"

    @property
    def dns(self) -> str:
        return self.ip(0, 53)

    def answering(self) -> tuple[list[str], str, str]:
        """Endpoint addresses, auth address, health address: every one has servers."""
        return [self.ip(1, 10), self.ip(1, 11)], self.ip(2, 10), self.ip(3, 10)

    def silent(self) -> tuple[list[str], str, str]:
        """Same shape, in the /24s the namespace's nftables rule drops."""
        return [self.ip(5, 10), self.ip(5, 11)], self.ip(6, 10), self.ip(6, 20)

    @property
    def silent_cidrs(self) -> tuple[str, str]:
        return f"127.{self.n}.5.0/24", f"127.{self.n}.6.0/24"


# --- results table --------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    value: str
    baseline: str
    ratio: str
    target: str
    result: str  # PASS | FAIL | info | SKIP


ROWS: list[Row] = []
NOTES: list[str] = []


def row(
    metric: str,
    value: str,
    baseline: str = "",
    ratio: str = "",
    target: str = "",
    ok: bool | None = None,
) -> None:
    result = "info" if ok is None else ("PASS" if ok else "FAIL")
    ROWS.append(Row(metric, value, baseline, ratio, target, result))


def skip(metric: str, why: str) -> None:
    ROWS.append(Row(metric, "-", "-", "-", "-", "SKIP"))
    NOTES.append(f"SKIP {metric}: {why}")


def print_table() -> None:
    head = Row("metric", "value", "baseline", "ratio", "target", "result")
    cols = list(head.__dict__)
    width = {c: max(len(getattr(r, c)) for r in [head, *ROWS]) for c in cols}
    for r in [head, *ROWS]:
        line = "  ".join(getattr(r, c).ljust(width[c]) for c in cols).rstrip()
        if r.result == "FAIL":
            line += "   <-- FAIL"
        print(line)
    for note in NOTES:
        print(f"  - {note}")
    fails = [r.metric for r in ROWS if r.result == "FAIL"]
    print(f"FAIL: {len(fails)} ({'; '.join(fails)})" if fails else "all targets PASS")


def secs(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 10 else f"{x:.1f} s"


def wsdiag_cmd() -> list[str]:
    """The installed console script (what a user runs), else `python -m wsdiag`."""
    script = Path(sys.executable).parent / "wsdiag"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wsdiag"]


# --- the loopback lab -------------------------------------------------------------------


def can_bind_low_port(net: Net) -> bool:
    s = socket.socket()
    try:
        s.bind((net.ip(250, 1), 443))
    except OSError:
        return False
    finally:
        s.close()
    return True


def hosts_by_role() -> dict[str, list[str]]:
    from wsdiag.check.catalog import load_catalog
    from wsdiag.check.plan import make_plan
    from wsdiag.vocab.model import Inputs

    plan = make_plan(load_catalog(), Inputs(region=REGION, directory_id=DIRECTORY))
    out: dict[str, list[str]] = {}
    for pt in plan.targets:
        out.setdefault(pt.target.role.value, []).append(pt.host)
    return out


def zone_for(addrs: tuple[list[str], str, str]) -> dict[str, object]:
    endpoint, auth, health = addrs
    roles = hosts_by_role()
    zone: dict[str, object] = {h: [auth] for h in roles["auth"]}
    zone.update({h: [health] for h in roles["health"]})
    zone[PRIVATE] = list(endpoint)
    return zone


@contextlib.contextmanager
def servers(net: Net, tmp: Path) -> Iterator[dict[str, str]]:
    """TLS+QUIC on the endpoint's 443/4195, TLS+QUIC on auth 443, TCP+QUIC on health 4195.

    Yields the environment (SSL_CERT_FILE) that makes the lab CA trusted."""
    from tests.support.certs import make_ca
    from tests.support.servers import answering_options, serving

    pki = make_ca(tmp / "pki")
    roles = hosts_by_role()
    leaf = pki.issue("server", roles["auth"] + roles["health"] + [PRIVATE])
    endpoint, auth, health = net.answering()
    with serving(answering_options(endpoint, auth, health), leaf.cert_path, leaf.key_path):
        yield {**os.environ, **pki.env()}


def wsdiag_check(
    net: Net, env: dict[str, str], timeout: float, cidr: str, nameserver: str | None = None
) -> tuple[float, dict]:
    cmd = [
        *wsdiag_cmd(),
        "check",
        "--region",
        REGION,
        "--json",
        "--no-logs",
        "--nameserver",
        nameserver or f"{net.dns}:{DNS_PORT}",
        "--vpc-cidr",
        cidr,
        "--directory-id",
        DIRECTORY,
        "--timeout",
        str(timeout),
    ]
    proc = budgets.run_measured(cmd, env)
    PEAK_RSS.append(proc.peak_rss_mb)
    if proc.stderr:
        NOTES.append(f"wsdiag check stderr: {proc.stderr.strip()[-200:]!r}")
    return proc.wall, json.loads(proc.stdout)


DNS_PORT = 0  # set once the DNS server is bound


def network_import_cost() -> float:
    """What `wsdiag check` imports lazily after its clock started (diagnose._run, real_probes)."""
    code = (
        "import time, wsdiag.run; t = time.perf_counter(); import dns.resolver, "
        "wsdiag.probes.dns, wsdiag.probes.quic, wsdiag.probes.tcp; "
        "print(time.perf_counter() - t)"
    )
    return statistics.median(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
            ).stdout
        )
        for _ in range(3)
    )


def summary(statuses: Sequence[str]) -> str:
    return " ".join(f"{k}x{v}" for k, v in sorted(Counter(statuses).items()))


# --- in-process: runner vs sequential ----------------------------------------------------


def make_plan_for(net: Net, timeout: float, cidr: str) -> Any:
    from wsdiag.check.catalog import load_catalog
    from wsdiag.check.plan import make_plan
    from wsdiag.vocab.model import Inputs

    return make_plan(
        load_catalog(),
        Inputs(
            region=REGION,
            directory_id=DIRECTORY,
            vpc_cidrs=(cidr,),
            nameservers=(f"{net.dns}:{DNS_PORT}",),
            timeout=timeout,
        ),
    )


async def _concurrent(
    plan: Any, record: bool = True, identify: bool = True
) -> tuple[float, list[str]]:
    from wsdiag.check.runner import real_probes, run_plan
    from wsdiag.probes import tcp
    from wsdiag.vocab.model import Transport

    resolve, probes = real_probes(plan)  # trust loaded here, before the clock (as check does)
    if not (record and identify):
        tcp_fn = tcp.for_plan(plan, record=record, identify=identify)
        probes = {**probes, Transport.TCP: tcp_fn, Transport.TLS: tcp_fn}
    t0 = time.perf_counter()
    run = await run_plan(plan, resolve, probes)
    return time.perf_counter() - t0, [str(p.status) for p in run.probes]


async def _sequential(plan: Any) -> tuple[float, list[str]]:
    """The same DNS queries and probes, each awaited before the next starts."""
    from wsdiag.check.plan import expand
    from wsdiag.check.runner import real_probes

    resolve, probes = real_probes(plan)
    t0 = time.perf_counter()
    out: list[str] = []
    for pt in plan.targets:
        answers = [await resolve(spec, spec.timeout) for spec in pt.dns]
        for spec in (*pt.probes, *expand(pt, answers)):
            if spec.skip_reason is not None:
                continue
            try:
                result = await probes[spec.transport](spec.result(), spec.timeout)
            except (Exception, asyncio.CancelledError) as exc:  # a probe bug: record it
                out.append(f"raised-{exc.__class__.__name__}")
            else:
                out.append(str(result.status))
    return time.perf_counter() - t0, out


def inproc(kind: str, plan: Any, runs: int) -> tuple[float, list[str]]:
    fn = _concurrent if kind == "concurrent" else _sequential
    times, statuses = [], []
    for _ in range(runs):
        dt, statuses = asyncio.run(fn(plan))
        times.append(dt)
    return statistics.median(times), statuses


def bench_tls_cost(net: Net, name: str, timeout: float, cidr: str, rounds: int) -> None:
    """run_plan with and without each part of the TLS recording, interleaved (drift on a
    shared box hits every variant alike); ratios of medians."""
    plan = make_plan_for(net, timeout, cidr)
    variants = {"all": (True, True), "no-identity": (True, False), "none": (False, False)}
    times: dict[str, list[float]] = {k: [] for k in variants}
    for t, ident in variants.values():  # warm-up: first-use imports, OpenSSL tables
        asyncio.run(_concurrent(plan, t, ident))
    for _ in range(rounds):
        for key, (t, ident) in variants.items():
            times[key].append(asyncio.run(_concurrent(plan, t, ident))[0])
    m = {k: statistics.median(v) for k, v in times.items()}

    def paired(a: str, b: str) -> float:  # per-round ratios: robust to drift on a shared box
        return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))

    factor = TLS_FACTOR[name]
    ratio = paired("all", "no-identity")
    row(
        f"{name}: endpoint identity handshakes (n={rounds})",
        secs(m["all"]),
        f"without {secs(m['no-identity'])}",
        f"{ratio:.2f}x",
        f"<= {factor:g}x",
        ratio <= factor,
    )
    row(
        f"{name}: sign-in chains judged offline",
        secs(m["no-identity"]),
        f"in-handshake {secs(m['none'])}",
        f"{paired('no-identity', 'none'):.2f}x",
        "",
        None,
    )
    row(
        f"{name}: all TLS recording",
        secs(m["all"]),
        f"neither {secs(m['none'])}",
        f"{paired('all', 'none'):.2f}x",
        "",
        None,
    )
    NOTES.append(
        f"{name}, TLS recording: ratios are medians of per-round ratios "
        f"({rounds} interleaved rounds of each variant)"
    )


def bench_concurrency(
    net: Net, name: str, timeout: float, cidr: str, seq_runs: int, target: bool
) -> None:
    plan = make_plan_for(net, timeout, cidr)
    conc, s1 = inproc("concurrent", plan, INPROC_RUNS)
    seq, s2 = inproc("sequential", plan, seq_runs)
    speedup = seq / conc
    row(
        f"{name}: run_plan (in-process, T={timeout:g})",
        secs(conc),
        f"sequential {secs(seq)}",
        f"{speedup:.1f}x faster",
        f">= {SPEEDUP_MIN:g}x" if target else "",
        (speedup >= SPEEDUP_MIN) if target else None,
    )
    NOTES.append(
        f"{name}, in-process: concurrent {summary(s1)} (median of {INPROC_RUNS}); "
        f"sequential {summary(s2)} ({len(s2)} probes one by one, median of "
        f"{seq_runs}, measured, not scaled)"
    )


def bench_lab(net: Net, tmp: Path, silent_ok: bool) -> None:
    global DNS_PORT
    from tests.support.dnsserver import DnsServer

    # aioquic logs handshake aborts as WARNINGs (wsdiag silences them the same way).
    for name in ("quic", "aioquic"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    with servers(net, tmp) as env, DnsServer(net.dns) as dns:
        DNS_PORT = dns.port
        # In-process TLS trusts the lab CA, and counts it as public (as real chains are).
        os.environ["SSL_CERT_FILE"] = env["SSL_CERT_FILE"]
        os.environ["WSDIAG_PUBLIC_ROOTS"] = env["WSDIAG_PUBLIC_ROOTS"]
        ans_cidr = f"127.{net.n}.1.0/24"

        # 1. all answering
        dns.zone = zone_for(net.answering())  # type: ignore[assignment]
        wsdiag_check(net, env, T_ANSWER, ans_cidr)  # warm-up (page cache, .pyc)
        walls, durs = [], []
        report: dict = {}
        for _ in range(ANSWER_RUNS):
            wall, report = wsdiag_check(net, env, T_ANSWER, ans_cidr)
            walls.append(wall)
            durs.append(report["duration_ms"] / 1000)
        wall, dur = statistics.median(walls), statistics.median(durs)
        NOTES.append(
            f"all answering: verdict {report['verdict']} (exit {report['exit_code']}),"
            f" probes {summary([p['status'] for p in report['probes']])}"
        )
        row(
            f"answering: wsdiag check wall (n={ANSWER_RUNS})",
            secs(wall),
            f"runner {secs(dur)}",
            f"{wall / dur:.1f}x",
            "",
            None,
        )
        row(
            "answering: report as one line of JSON",
            f"{budgets.one_line_bytes(report):,} B",
            "",
            "",
            "",
            None,
        )
        row(
            f"answering: duration_ms (JSON, T={T_ANSWER:g})",
            secs(dur),
            f"timeout {secs(T_ANSWER)}",
            f"{dur / T_ANSWER:.2f}x",
            "",
            None,
        )
        # 3a. concurrent vs sequential, answering
        bench_concurrency(net, "answering", T_ANSWER, ans_cidr, INPROC_RUNS, target=False)
        bench_tls_cost(net, "answering", T_ANSWER, ans_cidr, TLS_ROUNDS)

        # 2. silent networks: fully (the resolver too), and silent targets (DNS answers)
        if not silent_ok:
            for t in T_SILENT:
                skip(
                    f"silent: duration_ms (T={t:g})",
                    "no network namespace (needs root, iproute2 and nftables)",
                )
            skip("silent: run_plan vs sequential", "no network namespace")
            return
        sil_cidr = net.silent_cidrs[0]
        dns.zone = zone_for(net.silent())  # type: ignore[assignment]
        for t in T_SILENT:
            bench_silent(net, env, t, sil_cidr)
        NOTES.append(
            f"cold import of wsdiag's probe kinds (in a thread from the start of the "
            f"run: inside duration_ms when DNS answers at once): "
            f"{secs(network_import_cost())} (median of 3)"
        )
        # 3b. concurrent vs sequential, silent: measured truly, with the short timeout
        bench_concurrency(net, "silent", T_SILENT[0], sil_cidr, 1, target=True)
        bench_tls_cost(net, "silent", T_SILENT[0], sil_cidr, 5)


def bench_silent(net: Net, env: dict[str, str], t: float, sil_cidr: str) -> None:
    """Two silent networks. Fully silent (the budget): the resolver too, so DNS costs one
    timeout and nothing is left to probe. Silent targets: DNS answers at once, every
    target drops: one timeout of probing (with QUIC's import before its probes)."""
    quiet_dns = net.ip(5, 53)  # inside a dropped /24: no answer, no ICMP
    walls = [wsdiag_check(net, env, t, sil_cidr, quiet_dns)[0] for _ in range(SILENT_RUNS)]
    wall = statistics.median(walls)
    row(
        f"fully silent (loopback), whole process (T={t:g}, n={SILENT_RUNS})",
        secs(wall),
        f"timeout {secs(t)}",
        f"+{secs(wall - t)}",
        f"(lab budget +{secs(budgets.SILENT_OVER_TIMEOUT_S)})",
        None,
    )
    walls, durs = [], []
    report: dict = {}
    for _ in range(SILENT_RUNS):
        wall, report = wsdiag_check(net, env, t, sil_cidr)
        walls.append(wall)
        durs.append(report["duration_ms"] / 1000)
    dur, wall = statistics.median(durs), statistics.median(walls)
    row(
        f"silent targets, DNS answers: whole process (T={t:g}, n={SILENT_RUNS})",
        secs(wall),
        f"timeout {secs(t)}",
        f"+{secs(wall - t)}",
        "",
        None,
    )
    row(
        f"silent targets: duration_ms (JSON, T={t:g}, n={SILENT_RUNS})",
        secs(dur),
        f"timeout {secs(t)}",
        f"{dur / t:.2f}x",
        f"<= {SILENT_FACTOR}x",
        dur / t <= SILENT_FACTOR,
    )
    NOTES.append(
        f"silent targets T={t:g}: wall {secs(wall)}, duration_ms "
        f"{', '.join(secs(d) for d in durs)}, verdict {report['verdict']}, "
        f"probes {summary([p['status'] for p in report['probes']])}"
    )


# --- process structure: parent (namespace owner) and the benchmark itself ----------------


def bench_budgets() -> None:
    """The budgets not measured on the way: peak RSS (over the runs above), report size."""
    if PEAK_RSS:
        peak = max(PEAK_RSS)
        row(
            f"budget: peak RSS of wsdiag check (max of {len(PEAK_RSS)})",
            f"{peak:.1f} MB",
            f"median {statistics.median(PEAK_RSS):.1f} MB",
            "",
            f"<= {budgets.PEAK_RSS_MB:g} MB",
            peak <= budgets.PEAK_RSS_MB,
        )
    else:
        skip("budget: peak RSS of wsdiag check", "no `wsdiag check` ran")
    name, size = budgets.largest_lab_report()
    row(
        f"budget: largest lab report, one line ({name})",
        f"{size:,} B",
        "",
        "",
        f"<= {budgets.JSON_LINE_BYTES:,} B",
        size <= budgets.JSON_LINE_BYTES,
    )


def run_benchmark(net: Net, silent_ok: bool) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wsbench-") as d:
        tmp = Path(d)
        if not can_bind_low_port(net):
            skip("loopback lab", "cannot bind port 443 on loopback (run as root)")
        else:
            try:
                bench_lab(net, tmp, silent_ok)
            except (Exception, asyncio.CancelledError) as exc:
                NOTES.append(f"lab benchmark failed: {exc.__class__.__name__}: {exc}")
                ROWS.append(Row("loopback lab", "error", "-", "-", "-", "FAIL"))
        bench_budgets()
    print_table()
    print(
        f"(127.{net.n}.0.0/16, {'network namespace' if silent_ok else 'root namespace'}, "
        f"{time.perf_counter() - started:.0f} s)"
    )


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)


def make_namespace(net: Net) -> tuple[str | None, str]:
    """A fresh namespace: lo up, nftables dropping all input to the silent /24s."""
    if os.geteuid() != 0:
        return None, "not root"
    if not (shutil.which("ip") and shutil.which("nft")):
        return None, "ip or nft not found"
    name = f"wsb{secrets.token_hex(3)}"
    if (p := _ip("netns", "add", name)).returncode != 0:
        return None, f"ip netns add: {p.stderr.strip()}"
    a, b = net.silent_cidrs
    ruleset = (
        "table inet wsbench {\n  chain input {\n"
        "    type filter hook input priority 0; policy accept;\n"
        f"    ip daddr {{ {a}, {b} }} drop\n  }}\n}}\n"
    )
    steps = [
        ["ip", "-n", name, "link", "set", "lo", "up"],
        ["ip", "netns", "exec", name, "nft", "-f", "-"],
    ]
    for cmd in steps:
        p = subprocess.run(
            cmd, input=ruleset, capture_output=True, text=True, timeout=20, check=False
        )
        if p.returncode != 0:
            delete_namespace(name)
            return None, f"{' '.join(cmd[:4])}: {p.stderr.strip()}"
    return name, ""


def delete_namespace(name: str) -> None:
    # Only processes inside our own namespace, by pid: everything there was started by us.
    pids = _ip("netns", "pids", name).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "del", name)


def _sigterm(*_: object) -> None:
    raise SystemExit(143)  # so every finally: runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inside", type=int, help=argparse.SUPPRESS)  # 127.N, in the netns
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    if args.inside is not None:
        run_benchmark(Net(args.inside), silent_ok=True)
        return 0
    net = Net(random.randint(64, 250))
    name, why = make_namespace(net)
    if name is None:
        print(f"(no network namespace: {why}; silent network rows are skipped)")
        run_benchmark(net, silent_ok=False)
        return 0
    child: subprocess.Popen[bytes] | None = None
    try:
        child = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                name,
                sys.executable,
                str(Path(__file__).resolve()),
                "--inside",
                str(net.n),
            ],
            cwd=ROOT,
        )
        child.wait(timeout=300)
    except subprocess.TimeoutExpired:
        print("benchmark did not finish within 300 s: stopped")
    finally:
        if child is not None:
            stop_process(child, grace=15)
        delete_namespace(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
