# Build the Windows installer: PyInstaller bundle (Python 3.12+), then Inno Setup 6.
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$version = (Select-String -Path pyproject.toml -Pattern '^version\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value
py -3.12 -m venv .venv-build
.\.venv-build\Scripts\python -m pip install --upgrade pip
.\.venv-build\Scripts\python -m pip install ".[build]"
.\.venv-build\Scripts\pyinstaller --noconfirm --clean build.spec
$env:QT_QPA_PLATFORM = "offscreen"
.\dist\JuPei\JuPei.exe --smoke
if ($LASTEXITCODE -ne 0) { throw "smoke test failed" }
& "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$version" installer\windows\jupei.iss
