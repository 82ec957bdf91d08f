#!/usr/bin/env bash
# System libraries WeasyPrint needs (Pango; HarfBuzz-Subset embeds font subsets 3x faster than
# fontTools), the fonts roadmaps are rendered with, pdftoppm for previews, and Debian's
# chromium with its chromedriver for the browser tests (selenium drives them; nothing is
# downloaded at test time). Installs only what is missing; without root or apt it says what to install instead.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-dejavu-extra poppler-utils
  chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "ponton: please install these system packages: ${missing[*]}" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
