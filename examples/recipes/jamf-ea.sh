#!/bin/sh
# Jamf Pro extension attribute (macOS): <result>VERDICT ENVIRONMENT CODES</result>
#
# Needs no Python on the Mac: install the single-file wsdiag (dist/wsdiag from
# scripts/build-binary.sh, built on macOS) at the path below. The result's first word
# tells apart, for smart groups:
#   ready | degraded | blocked | unknown    wsdiag ran and judged (unknown = could not tell)
#   usage error: ...                        wsdiag refused its options (exit 3, no report)
#   wsdiag missing: PATH                    nothing to run at that path
#   error (exit N): ...                     anything else (crash, killed)
# Labels: examples/recipes/outcomes.json. When `--format jamf` exists (issue 9, item 1)
# the parsing below can go: wsdiag will print the <result> line itself.
WSDIAG="${WSDIAG:-/usr/local/bin/wsdiag}"
REGION="${WSDIAG_REGION:-eu-west-1}"

if [ ! -x "$WSDIAG" ]; then
    echo "<result>wsdiag missing: $WSDIAG</result>"
    exit 0
fi
err=$(mktemp)
out=$("$WSDIAG" check --region "$REGION" --json --timeout 3 2>"$err")
rc=$?
reason=$(head -n 1 "$err" | cut -c 1-200)
rm -f "$err"
# One regex for pretty and one-line JSON: "environment" and "code" are unique keys.
envt=$(printf '%s\n' "$out" | grep -o '"environment": *"[a-z-]*"' | head -n 1 | cut -d '"' -f 4)
codes=$(printf '%s\n' "$out" | grep -o '"code": *"[A-Z][A-Z0-9_]*"' | cut -d '"' -f 4 | paste -sd , -)
case "$rc" in
    0) label=ready ;;
    1) label=degraded ;;
    2) label=blocked ;;
    3) if [ -z "$out" ]; then label="usage error: $reason"; else label=unknown; fi ;;
    126|127) label="wsdiag missing: $WSDIAG (exit $rc)" ;;
    *) label="error (exit $rc): $reason" ;;
esac
echo "<result>$(printf '%s %s %s' "$label" "$envt" "$codes" | sed 's/ *$//')</result>"
exit 0
