# Microsoft Intune remediation, detection script (PowerShell 5.1 or 7), run as SYSTEM.
#
# There is nothing to remediate: this reports. Non-compliant (exit 1) on anything but
# ready. Intune shows the last line of stdout (<= 2,048 characters): wsdiag's own
# `--format line` (verdict env=… findings=… fix: the first action of the first owner);
# its first word(s) tell apart:
#   ready | degraded | blocked | unknown    wsdiag ran and judged (unknown = could not tell)
#   usage error: ...                        wsdiag refused its options (exit 3, no report)
#   wsdiag missing: PATH                    nothing at that path (SYSTEM's PATH is not used)
#   error (exit N): ...                     anything else (crash, killed)
# Labels: examples/recipes/outcomes.json (tests/test_recipes.py checks this script against
# it and against the shell recipes).
# Intune runs detection scripts in a 32-bit PowerShell by default, where $env:ProgramFiles
# is "C:\Program Files (x86)": $env:ProgramW6432 is the 64-bit folder (empty on 32-bit
# Windows, which has only the one).
$programFiles = $env:ProgramW6432
if (-not $programFiles) { $programFiles = $env:ProgramFiles }
$wsdiag = Join-Path $programFiles 'wsdiag\wsdiag.exe'
$region = 'eu-west-1'
$maxLine = 2048

if (-not (Test-Path -LiteralPath $wsdiag -PathType Leaf)) {
    Write-Output "wsdiag missing: $wsdiag"
    exit 1
}
$errFile = [System.IO.Path]::GetTempFileName()
$out = & $wsdiag check --region $region --format line --timeout 3 2> $errFile
$rc = $LASTEXITCODE
$reason = (Get-Content -LiteralPath $errFile -TotalCount 1) -as [string]
Remove-Item -LiteralPath $errFile -Force -ErrorAction SilentlyContinue
$report = (@($out) | Where-Object { $_ } | Select-Object -Last 1) -as [string]
# A run that could not start prints "unknown reason: ..." (no env=): there is no report.
if ($report -like 'unknown reason: *') { $report = $null }
switch ($rc) {
    0 { $label = 'ready' }
    1 { $label = 'degraded' }
    2 { $label = 'blocked' }
    3 { if (-not $report) { $label = "usage error: $reason" } else { $label = 'unknown' } }
    default { $label = "error (exit $rc): $reason" }
}
# wsdiag's line starts with the same verdict word, and says more.
if ($report -and $rc -ge 0 -and $rc -le 3) { $label = $report }
$line = $label.Trim()
if ($line.Length -gt $maxLine) { $line = $line.Substring(0, $maxLine) }
Write-Output $line
if ($rc -eq 0) { exit 0 } else { exit 1 }
