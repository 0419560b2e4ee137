#!/bin/sh
# Jamf Pro extension attribute (macOS): wsdiag's own `--format jamf` line,
#   <result>VERDICT env=ENVIRONMENT host=… region=… findings=CODES fix: FIRST ACTION</result>
# (run with --nameserver, "dns=nameserver-only" follows VERDICT: that server's answers only)
#
# Needs no Python on the Mac: install the single-file wsdiag (dist/wsdiag from
# scripts/build-binary.sh, built on macOS) at the path below. The result's first word
# tells apart, for smart groups:
#   ready | degraded | blocked | unknown    wsdiag ran and judged (unknown = could not tell)
#   usage error: ...                        wsdiag refused its options (exit 3, no report)
#   wsdiag missing: PATH                    nothing to run at that path
#   error (exit N): ...                     anything else (crash, killed)
# Labels: examples/recipes/outcomes.json. Each code appears once; info notes are left out
# (`--format json` keeps them); "fix:" is the first action of the first owner.
WSDIAG="${WSDIAG:-/usr/local/bin/wsdiag}"
REGION="${WSDIAG_REGION:-eu-west-1}"

if [ ! -x "$WSDIAG" ]; then
    echo "<result>wsdiag missing: $WSDIAG</result>"
    exit 0
fi
err=$(mktemp)
out=$("$WSDIAG" check --region "$REGION" --format jamf --timeout 3 2>"$err")
rc=$?
reason=$(head -n 1 "$err" | cut -c 1-200)
rm -f "$err"
# A run that could not start prints "<result>unknown reason: …</result>" (no env=): no report.
case "$out" in
    "<result>unknown reason: "*) out="" ;;
esac
case "$rc" in
    0|1|2|3) if [ -n "$out" ]; then printf '%s\n' "$out"; exit 0; fi ;;
esac
case "$rc" in
    3) label="usage error: $reason" ;;
    126|127) label="wsdiag missing: $WSDIAG (exit $rc)" ;;
    *) label="error (exit $rc): $reason" ;;
esac
echo "<result>$label</result>"
exit 0
