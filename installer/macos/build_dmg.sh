#!/usr/bin/env bash
# Build JuPei.app and a DMG on macOS (Python 3.12+).
#   bash installer/macos/build_dmg.sh
# Signing and notarisation (needs an Apple Developer ID; set these before running):
#   export SIGN_ID="Developer ID Application: Your Company (TEAMID)"
#   export NOTARY_PROFILE="jupei-notary"   # xcrun notarytool store-credentials jupei-notary ...
# Steps this script runs when SIGN_ID is set:
#   1. codesign --deep --force --options runtime --timestamp --sign "$SIGN_ID" dist/JuPei.app
#   2. hdiutil create the DMG, codesign the DMG
#   3. xcrun notarytool submit JuPei.dmg --keychain-profile "$NOTARY_PROFILE" --wait
#   4. xcrun stapler staple JuPei.dmg
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
/usr/libexec/PlistBuddy -c "Set :CFBundleShortVersionString $VERSION" installer/macos/Info.plist
/usr/libexec/PlistBuddy -c "Set :CFBundleVersion $VERSION" installer/macos/Info.plist
python3.12 -m venv .venv-build
.venv-build/bin/pip install -q ".[build,updates]"
.venv-build/bin/pyinstaller --noconfirm --clean build.spec
QT_QPA_PLATFORM=offscreen dist/JuPei.app/Contents/MacOS/JuPei --smoke
if [ -n "${SIGN_ID:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$SIGN_ID" dist/JuPei.app
fi
DMG="dist/JuPei-$VERSION.dmg"
rm -f "$DMG"
hdiutil create -volname "JuPei $VERSION" -srcfolder dist/JuPei.app -ov -format UDZO "$DMG"
if [ -n "${SIGN_ID:-}" ]; then
  codesign --force --timestamp --sign "$SIGN_ID" "$DMG"
  xcrun notarytool submit "$DMG" --keychain-profile "${NOTARY_PROFILE:?}" --wait
  xcrun stapler staple "$DMG"
fi
echo "built $DMG"
# signed update feed (README "Updates"): with JUPEI_UPDATE_WORK the .app is also archived,
# registered and signed as JuPei-$VERSION.tar.gz (the keys are in that work dir)
if [ -n "${JUPEI_UPDATE_WORK:-}" ]; then
  .venv-build/bin/python installer/update_repo.py add --work "$JUPEI_UPDATE_WORK" \
    --bundle dist/JuPei.app --version "$VERSION"
fi
