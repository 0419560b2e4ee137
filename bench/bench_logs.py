"""Benchmark the client-log parser: MB/s against `grep -c`, and peak memory.

Not a test. Writes a large realistic log into a temporary directory (removed afterwards),
then times, on the same file:
  1. `grep -c "Reachable endpoint"` (a floor: one literal, no parsing),
  2. wsdiag's reader + parser (logs.files.read_into -> LogParser.feed_block),
and prints MB/s (wall clock and CPU time: on a shared machine the CPU figure is the stable
one), the ratio, and the process's peak RSS before and after parsing. Then the worst case:
a file of long adversarial lines (64 kB of dotted text, ':' runs, "Code: " tokens, braces,
each with an error-level head so every line goes past the prefilter), read the same way.

    python bench/bench_logs.py            # 500 MB
    python bench/bench_logs.py --mb 100   # smaller
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsdiag.logs.files import LogFile, read_into
from wsdiag.logs.parse import LogParser

PREFIX = '{ Version: "5.29.1.5595" }: '
EP = (
    "hostname: privatelink.prod.{r}.highlander.aws.a2z.com, transport: {t}, port: {p}, "
    "gatewayType: NLB, ipVersion: IPv4, additionalEndpointAttributes: "
)
# Lines a real client writes between sessions: state changes, HTTP calls, frame stats.
FILLER = (
    "[DBG] Protocol new State: Connected",
    "[DBG] Session window deactivated",
    "[DBG] Session window activated",
    "[INF] Network quality: rtt=23ms, loss=0.0%, jitter=1ms, bandwidth=48.2Mbps",
    "[DBG] HttpClient GET https://ws-client-service.{r}.amazonaws.com/messages took 143 ms",
    "[DBG] Received Http GetUserSettingsResponse with status 200",
    "[INF] Display configuration changed: 1920x1080@60 scale 100%, monitors: 1",
    "[DBG] Input event queue drained, 12 events, 0 dropped",
    "[WRN] Frame decode took 45 ms (threshold 33 ms), codec: h264, surface: 0",
    "[DBG] Clipboard sync: 0 bytes, format text/plain",
    "[INF] Audio device changed: Speakers (Realtek High Definition Audio)",
    "[DBG] Telemetry batch uploaded: 37 events",
)


_SECONDS: dict[int, str] = {}


def _ts(t: float) -> str:
    whole = int(t)
    head = _SECONDS.get(whole)
    if head is None:
        _SECONDS.clear()
        head = _SECONDS[whole] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{head}.{int(t * 1000) % 1000:03d}Z"


def session_lines(rnd: random.Random, t: float) -> list[str]:
    region = rnd.choice(("ap-northeast-1", "eu-west-1", "us-east-1"))
    sid = f"prod-{region}-{rnd.getrandbits(128):032x}"
    sid = f"{sid[:-24]}-{sid[-24:-20]}-{sid[-20:-16]}-{sid[-16:-12]}-{sid[-12:]}"
    eps = [EP.format(r=region, t=tr, p=p) for tr in ("QUIC", "TCP") for p in (4195, 443)]
    ts = _ts(t)
    out = [f"{ts} {PREFIX}[INF] Starting WSP session using SessionId: {sid}, endpoints:"]
    out += [e.rstrip() for e in eps]
    out += [f'{ts} {PREFIX}[INF] Supported endpoint: "{e}", session ID: {sid}' for e in eps]
    if rnd.random() < 0.2:
        out.append(
            f"{ts} {PREFIX}[WRN] No endpoints are reachable. A connection may not be able "
            "to be established."
        )
    else:
        out.append(f"{ts} {PREFIX}[DBG] Reachable endpoints after probing:")
        out += [f"{ts} {PREFIX}[DBG] {e.rstrip()}" for e in eps]
        out += [f'{ts} {PREFIX}[INF] Reachable endpoint: "{e}", session ID: {sid}' for e in eps]
        out.append(
            f"{ts} {PREFIX}[INF] Attempting to establish connection to DCV WorkSpace "
            f'endpoint "{eps[0]}", session ID: {sid}, is reconnection: false'
        )
        out.append(f"{ts} {PREFIX}[INF] Connecting WorkSpace using QUIC")
    return out


def generate(path: Path, megabytes: int, session_every: int = 2000) -> int:
    """Write ``megabytes`` of log; a session block every ``session_every`` lines."""
    rnd = random.Random(20250828)
    target = megabytes * 1_000_000
    t = 1756355377.0
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        while written < target:
            chunk: list[str] = []
            for _ in range(session_every):
                t += 0.25
                chunk.append(f"{_ts(t)} {PREFIX}{rnd.choice(FILLER).format(r='eu-west-1')}")
            chunk += session_lines(rnd, t)
            text = "\n".join(chunk) + "\n"
            fh.write(text)
            written += len(text)
    return written


ADVERSARIAL_SEEDS = ("a.", "a.b:", ". ", "Code: A.", "{", "hostname: a", "ws-broker-service.-ab")
ADVERSARIAL_HEAD = '2025-08-28T04:29:38.769Z { Version: "5.29.1.5595" }: [ERR] '


def worst(path: Path, megabytes: int) -> None:
    """The worst case: long lines built to make a backtracking matcher work hard."""
    target = megabytes * 1_000_000
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        i = 0
        while written < target:
            seed = ADVERSARIAL_SEEDS[i % len(ADVERSARIAL_SEEDS)]
            body = (seed * (60_000 // len(seed)))[:60_000]
            line = f"{ADVERSARIAL_HEAD}{body} Error. Code: X}}\n"
            fh.write(line)
            written += len(line)
            i += 1
    st = path.stat()
    parser = LogParser()
    t0, c0 = time.perf_counter(), time.process_time()
    read_into(parser, LogFile(path, st.st_size, st.st_mtime, False, True))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"worst case (60 kB adversarial lines, every line matched): {st.st_size / 1e6:.0f} MB, "
        f"{wall:.2f} s, {st.st_size / 1e6 / wall:.0f} MB/s wall, "
        f"{st.st_size / 1e6 / cpu:.0f} MB/s CPU"
    )


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=500, help="size of the generated log (MB)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wsdiag-bench-"))
    try:
        log = tmp / "WorkSpacesClient.log"
        t0 = time.perf_counter()
        size = generate(log, args.mb)
        print(f"generated {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s: {log}")
        rss_before = peak_rss_mb()

        grep = shutil.which("grep")
        grep_s = None
        if grep:
            subprocess.run([grep, "-c", "x", str(log)], capture_output=True)  # warm the cache
            t0 = time.perf_counter()
            out = subprocess.run(
                [grep, "-c", "Reachable endpoint", str(log)], capture_output=True, text=True
            )
            grep_s = time.perf_counter() - t0
            print(
                f"grep -c 'Reachable endpoint': {out.stdout.strip()} lines, "
                f"{grep_s:.2f} s, {size / 1e6 / grep_s:.0f} MB/s"
            )

        st = log.stat()
        parser = LogParser(max_sessions=64)
        t0, c0 = time.perf_counter(), time.process_time()
        done, problem = read_into(parser, LogFile(log, st.st_size, st.st_mtime, False, True))
        parse_s = time.perf_counter() - t0
        cpu_s = time.process_time() - c0
        if problem is not None or done is None:
            print(f"read failed: {problem}")
            return 1
        summary = parser.summary()
        print(
            f"wsdiag parser: {summary.lines} lines, {summary.sessions_total} sessions, "
            f"{summary.matched_lines} lines past the prefilter, {parse_s:.2f} s, "
            f"{size / 1e6 / parse_s:.0f} MB/s wall, {size / 1e6 / cpu_s:.0f} MB/s CPU"
        )
        if grep_s:
            print(f"ratio: parser takes {parse_s / grep_s:.1f}x grep's time")
        print(
            f"peak RSS: {rss_before:.0f} MB before parsing, {peak_rss_mb():.0f} MB after "
            f"(file {size / 1e6:.0f} MB)"
        )
        worst(tmp / "adversarial.log", max(8, args.mb // 10))
        ok = size / 1e6 / cpu_s >= 100
        print("target >= 100 MB/s (CPU time, Windows format):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
