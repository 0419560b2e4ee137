"""A packet-level delayer for the lab: a TUN device that holds each IP packet for a delay
(mean +- a normal spread) and drops a share of them, then hands it back to the kernel.

The kernels here have no sch_netem (``tc qdisc add ... netem``: "Specified qdisc kind is
unknown"; no modprobe either), so this stands in for ``netem delay 80ms 20ms distribution
normal loss 2%``. It works on whole IP packets: TCP's handshake and retransmissions, QUIC's
datagrams stay end to end (a socket relay would end TCP itself and measure itself).

Run inside the router namespace; the lab steers the client's packets to the endpoint into
the device (a policy rule: from the LAN side, to these addresses -> a table whose default
route is the device), and a packet written back comes in on the device and is routed on
as usual. Prints ``ready`` once the device exists; exits on SIGTERM (the device goes with
the process)::

    python -m tests.support.delayer --dev wl1234-dly --delay-ms 80 --spread-ms 20 --loss 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import random
import signal
import struct
import sys

TUNSETIFF = 0x400454CA  # <linux/if_tun.h>
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def delay_of(rng: random.Random, mean_s: float, spread_s: float) -> float:
    """Seconds to hold one packet: normal around ``mean_s``, never negative."""
    return max(rng.gauss(mean_s, spread_s), 0.0) if spread_s > 0 else mean_s


async def run(dev: str, delay_ms: float, spread_ms: float, loss: float, seed: int) -> None:
    loop = asyncio.get_running_loop()
    fd = open_tun(dev)
    rng = random.Random(seed)
    stop = asyncio.Event()
    counts = {"in": 0, "dropped": 0}

    def write(packet: bytes) -> None:
        with contextlib.suppress(OSError):  # the device is going away, or one refused
            os.write(fd, packet)

    def readable() -> None:
        while True:
            try:
                packet = os.read(fd, 65535)
            except BlockingIOError:
                return
            counts["in"] += 1
            if rng.random() < loss:
                counts["dropped"] += 1
                continue
            loop.call_later(delay_of(rng, delay_ms / 1000, spread_ms / 1000), write, packet)

    loop.add_reader(fd, readable)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    loop.remove_reader(fd)
    os.close(fd)
    print(f"packets {counts['in']} dropped {counts['dropped']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--spread-ms", type=float, default=0.0)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=20)
    args = ap.parse_args(argv)
    asyncio.run(run(args.dev, args.delay_ms, args.spread_ms, args.loss, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
