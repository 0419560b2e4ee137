# Microsoft Intune remediation, detection script (PowerShell 5.1 or 7), run as SYSTEM.
#
# There is nothing to remediate: this reports. Non-compliant (exit 1) on anything but
# ready. Intune shows the last line of stdout (<= 2,048 characters); its first word(s)
# tell apart:
#   ready | degraded | blocked | unknown    wsdiag ran and judged (unknown = could not tell)
#   usage error: ...                        wsdiag refused its options (exit 3, no report)
#   wsdiag missing: PATH                    nothing at that path (SYSTEM's PATH is not used)
#   error (exit N): ...                     anything else (crash, killed)
# Labels: examples/recipes/outcomes.json (tests/test_recipes.py checks this script against
# it and against the shell recipes). When `--format line` exists (issue 9, item 1) the JSON
# parsing below can go: wsdiag will print that line itself.
$wsdiag = Join-Path $env:ProgramFiles 'wsdiag\wsdiag.exe'
$region = 'eu-west-1'
$maxLine = 2048

if (-not (Test-Path -LiteralPath $wsdiag -PathType Leaf)) {
    Write-Output "wsdiag missing: $wsdiag"
    exit 1
}
$errFile = [System.IO.Path]::GetTempFileName()
$out = & $wsdiag check --region $region --json --timeout 3 2> $errFile
$rc = $LASTEXITCODE
$reason = (Get-Content -LiteralPath $errFile -TotalCount 1) -as [string]
Remove-Item -LiteralPath $errFile -Force -ErrorAction SilentlyContinue
$json = ($out -join "`n").Trim()
$report = $null
if ($json) {
    try { $report = $json | ConvertFrom-Json } catch { $report = $null }
}
switch ($rc) {
    0 { $label = 'ready' }
    1 { $label = 'degraded' }
    2 { $label = 'blocked' }
    3 { if (-not $json) { $label = "usage error: $reason" } else { $label = 'unknown' } }
    default { $label = "error (exit $rc): $reason" }
}
$words = @($label)
if ($report) {
    $words += $report.environment
    $words += (@($report.findings | ForEach-Object { $_.code }) -join ',')
}
$line = (($words | Where-Object { $_ }) -join ' ')
if ($line.Length -gt $maxLine) { $line = $line.Substring(0, $maxLine) }
Write-Output $line
if ($rc -eq 0) { exit 0 } else { exit 1 }
