#!/usr/bin/env bash
# Debian packages for the dashboard's browser tests (tests/report/browser; run as root).
#   chromium           headless Chromium that Playwright drives (no `playwright install`:
#                      that downloads a browser build of its own)
#   fonts-dejavu-core  the fonts the pages and their screenshots are drawn with
# Idempotent: does nothing when /usr/bin/chromium and the fonts are there.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "install ok installed" \
  || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "browser test dependencies already installed: $(/usr/bin/chromium --version 2>/dev/null)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser.sh: needs root to install ${missing[*]} (sudo bash $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
