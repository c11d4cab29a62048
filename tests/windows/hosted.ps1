# portfix.exe on a real Windows (the hosted windows runner in .github/workflows/ci.yml), where
# owners are visible, unlike under Wine (scripts/windows-test): `who` names the holder's pid,
# `kill` stops it, `--kill` frees the port and starts the command there, CI mode exits 3, exit
# codes pass through. Every holder runs on 127.0.0.1 on a port Windows chose (port 0).
#   pwsh tests/windows/hosted.ps1 target/release/portfix.exe
param([Parameter(Mandatory = $true)][string]$Portfix)
$ErrorActionPreference = 'Stop'
$passed = 0; $failed = 0
$started = @()

function Check([string]$name, [scriptblock]$body) {
    try { & $body; $script:passed++; Write-Output "ok     $name" }
    catch { $script:failed++; Write-Output "FAILED $name`n  $_" }
}

# A holder: a separate PowerShell process listening on 127.0.0.1:0, its port written to a file.
function Start-Holder {
    $file = New-TemporaryFile
    $code = "`$l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); `$l.Start(); " +
            "Set-Content -Path '$file' -Value `$l.LocalEndpoint.Port; while (`$true) { Start-Sleep 1 }"
    $p = Start-Process pwsh -ArgumentList '-NoProfile', '-Command', $code -PassThru -WindowStyle Hidden
    $script:started += $p
    for ($i = 0; $i -lt 600 -and -not (Get-Content $file -ErrorAction SilentlyContinue); $i++) { Start-Sleep -Milliseconds 100 }
    $port = [int](Get-Content $file)
    if (-not $port) { throw "the holder did not start" }
    return @{ Process = $p; Port = $port }
}

function Run([string[]]$argv, [hashtable]$envs = @{}) {
    foreach ($k in $envs.Keys) { Set-Item "env:$k" $envs[$k] }
    try { $out = & $Portfix @argv 2>&1 | Out-String; return @{ Code = $LASTEXITCODE; Out = $out } }
    finally { foreach ($k in $envs.Keys) { Remove-Item "env:$k" -ErrorAction SilentlyContinue } }
}

try {
    Check 'exit status passes through' {
        $r = Run @('--', 'cmd', '/c', 'exit 7')
        if ($r.Code -ne 7) { throw "exit $($r.Code): $($r.Out)" }
    }
    Check 'who names the holder pid' {
        $h = Start-Holder
        $r = Run @('who', '--json', "$($h.Port)")
        if ($r.Code -ne 0) { throw "exit $($r.Code): $($r.Out)" }
        $pids = (ConvertFrom-Json $r.Out).targets[0].holders[0].processes | ForEach-Object { $_.pid }
        if ($pids -notcontains $h.Process.Id) { throw "pid $($h.Process.Id) not in: $($r.Out)" }
    }
    Check 'CI conflict exits 3 naming the holder' {
        $h = Start-Holder
        $r = Run @('-p', "$($h.Port)", '--', 'cmd', '/c', 'exit 0') @{ CI = 'true' }
        if ($r.Code -ne 3 -or $r.Out -notmatch "pid $($h.Process.Id)") { throw "exit $($r.Code): $($r.Out)" }
    }
    Check '--next moves through PORT' {
        $h = Start-Holder
        $r = Run @('--next', '-p', "$($h.Port)", '--', 'cmd', '/c', 'echo port=%PORT%') @{ CI = 'true' }
        if ($r.Code -ne 0 -or $r.Out -notmatch "port=(\d+)" -or [int]$Matches[1] -eq $h.Port) { throw "exit $($r.Code): $($r.Out)" }
    }
    Check 'kill stops the holder' {
        $h = Start-Holder
        $r = Run @('kill', '-y', "$($h.Port)")
        if ($r.Code -ne 0) { throw "exit $($r.Code): $($r.Out)" }
        if (-not $h.Process.WaitForExit(60000)) { throw "the holder still runs: $($r.Out)" }
    }
}
finally {
    foreach ($p in $started) { if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue } }
}
Write-Output "$passed passed, $failed failed"
if ($failed) { exit 1 }
