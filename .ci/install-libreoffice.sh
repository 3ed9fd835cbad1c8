#!/usr/bin/env bash
# Installs LibreOffice Calc 25.x (headless) from Debian bookworm-backports.
# Debian 12's own LibreOffice 7.4 lacks XLOOKUP/LET and must not be used for the workbook tests.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 && soffice --version 2>/dev/null | grep -qE 'LibreOffice (2[4-9]|[3-9][0-9])\.'; then
  echo "LibreOffice already installed: $(soffice --version)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ]; then
  mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 | awk '{print $2}')
  mirror=${mirror:-http://deb.debian.org/debian}
  $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null <<SRC
Types: deb
URIs: ${mirror}
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports libreoffice-calc-nogui python3-uno >/dev/null
$SUDO apt-get install -y -qq poppler-utils fonts-noto-cjk >/dev/null
soffice --version
