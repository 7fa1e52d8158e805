#!/usr/bin/env bash
# Debian packages for `wattprint report --format pdf` and its tests (run as root).
#   libpango-1.0-0, libpangoft2-1.0-0  WeasyPrint loads Pango at import
#   fonts-dejavu-core                  the fonts the report's CSS names
#   poppler-utils                      pdftotext/pdfinfo: the PDF tests read the text back
# Idempotent: installs only what is missing; apt-get update only when needed.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "report dependencies already installed: ${packages[*]}"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" \
  || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
