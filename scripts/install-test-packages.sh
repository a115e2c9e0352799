#!/usr/bin/env bash
# Run by `npm test` (pretest) and .ci/run: makes sure the Debian packages the tests need are there —
#   chromium        the console's browser tests (playwright-core drives /usr/bin/chromium)
#   fonts-noto-cjk  Chinese glyphs in that browser (a test fails when Chinese is drawn as empty boxes)
#   espeak-ng       offline prompt audio (the espeak tests)
# Silent when all are installed. Missing ones are installed with apt-get when running as root or with passwordless
# sudo; otherwise it fails, naming the packages and the command to install them.
set -uo pipefail

PACKAGES=(chromium fonts-noto-cjk espeak-ng)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list ':lang=zh-cn' family 2>/dev/null | grep -q 'CJK' || missing+=(fonts-noto-cjk)
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "npm test: missing ${missing[*]} (Debian package names), and this is not a Debian system (no dpkg-query)." >&2
  echo "Install with your package manager: Chromium as /usr/bin/chromium, the Noto Sans CJK fonts, espeak-ng." >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do is_installed "$package" || missing+=("$package"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "npm test: the tests need the Debian packages ${missing[*]}, and this user cannot install them (not root, no passwordless sudo)." >&2
  echo "Install them, then run npm test again:  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "npm test: installing Debian packages the tests need: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]+"${as_root[@]}"}" apt-get update -qq >&2 || echo "npm test: apt-get update failed; trying the package lists already on this machine" >&2
if ! "${as_root[@]+"${as_root[@]}"}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
  echo "npm test: apt-get install ${missing[*]} failed (see above); the tests need these packages." >&2
  exit 1
fi
still=()
for package in "${missing[@]}"; do is_installed "$package" || still+=("$package"); done
if [ ${#still[@]} -gt 0 ]; then
  echo "npm test: ${still[*]} still not installed after apt-get; the tests need these packages." >&2
  exit 1
fi
