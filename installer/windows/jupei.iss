; Inno Setup script for JuPei 聚配 (Windows). Build with installer/windows/build.ps1,
; which reads the version from pyproject.toml and passes it as /DAppVersion=...
; Input: dist\JuPei (the one-folder PyInstaller bundle from build.spec).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "JuPei 聚配"
#define AppExe "JuPei.exe"

[Setup]
AppId={{6F1E2A77-4C1B-4E55-9A7E-5A4C2B1D9E31}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=JuPei
DefaultDirName={autopf}\JuPei
DefaultGroupName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
OutputDir=..\..\dist\installer
OutputBaseFilename=JuPei-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
WizardStyle=modern
SetupIconFile=..\..\resources\icons\jupei.ico

[Languages]
Name: "chinesesimp"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "autostart"; Description: "开机自动启动 / Start with Windows"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\JuPei\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; optional autostart (the in-app setting writes/removes the same value)
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "JuPei"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ Uninstall keeps the orders database, settings and logs unless the user asks. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\jupei');
    if DirExists(DataDir) then
      if MsgBox('是否同时删除订单数据、设置和日志？' #13#10 +
                'Also delete orders, settings and logs in ' + DataDir + '?',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
