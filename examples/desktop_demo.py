"""The desktop start as a double-click on Windows shows it, run here with the decision
passed in (wsdiag.cli.bare_start) and the check's DNS on a loopback test server that
answers NXDOMAIN (a machine off the network): for the README's picture
(examples/reports/desktop-start.png, made by examples/term_pictures.sh).

    PYTHONPATH=. python3 examples/desktop_demo.py FOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.dnsserver import NXDOMAIN, DnsServer
from wsdiag.cli import bare_start
from wsdiag.cli_options import CheckOptions


def main(folder: str) -> int:
    with DnsServer("127.79.0.53", zone={"*": NXDOMAIN}) as dns:
        opts = CheckOptions(nameserver=[dns.address], timeout=0.5, no_proxy=True, no_logs=True)
        return bare_start(
            True,
            lambda: "",
            opts,
            ask=input,
            say=lambda text: print(text, end="", flush=True),
            folder=Path(folder),
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
