#!/bin/sh
# Install what the network lab (tests/test_lab.py, examples/lab.py) needs: iproute2 (ip netns),
# nftables (nft), dnsmasq and squid (the corporate proxy of the proxy scenarios); and headless
# Chromium, in which tests/test_render_html.py opens
# the HTML report. Idempotent: exits 0 at once when all five are present, so it is safe to
# run unprivileged on a prepared machine and on every CI run.
set -eu

# Debian keeps these in /usr/sbin, which a non-login PATH may not include.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

missing=""
for tool in ip nft dnsmasq squid unbound tayga chromium; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -z "$missing" ]; then
    echo "lab-deps: ip, nft, dnsmasq, squid, unbound, tayga and chromium present"
    exit 0
fi

echo "lab-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "lab-deps: need root to install dnsmasq-base nftables iproute2 squid unbound tayga chromium" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "lab-deps: no apt-get; install iproute2, nftables, dnsmasq, squid, unbound, tayga and chromium by hand" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# dnsmasq-base: the binary only, without the system service the full package starts.
# chromium: Debian's build, run headless (--no-sandbox as root) in an empty namespace.
# squid, unbound (a validating stub, dns64) and tayga (NAT64): Debian's; the lab runs its own
# instances in namespaces, never the services.
apt-get install -y --no-install-recommends dnsmasq-base nftables iproute2 squid unbound tayga chromium
for tool in ip nft dnsmasq squid unbound tayga chromium; do
    command -v "$tool" >/dev/null 2>&1 || { echo "lab-deps: $tool still missing" >&2; exit 1; }
done
echo "lab-deps: installed"
