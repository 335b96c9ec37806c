# Build the Windows installer: PyInstaller bundle (Python 3.12+), then Inno Setup 6.
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$version = (Select-String -Path pyproject.toml -Pattern '^version\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value
py -3.12 -m venv .venv-build
.\.venv-build\Scripts\python -m pip install --upgrade pip
.\.venv-build\Scripts\python -m pip install ".[build,updates]"
.\.venv-build\Scripts\pyinstaller --noconfirm --clean build.spec
$env:QT_QPA_PLATFORM = "offscreen"
.\dist\JuPei\JuPei.exe --smoke
if ($LASTEXITCODE -ne 0) { throw "smoke test failed" }
& "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$version" installer\windows\jupei.iss
# signed update feed (README "Updates"): with JUPEI_UPDATE_WORK the bundle is also archived,
# registered and signed as JuPei-<version>.tar.gz (the keys are in that work dir)
if ($env:JUPEI_UPDATE_WORK) {
  .\.venv-build\Scripts\python installer\update_repo.py add --work $env:JUPEI_UPDATE_WORK --bundle dist\JuPei --version $version
  if ($LASTEXITCODE -ne 0) { throw "update feed step failed" }
}
