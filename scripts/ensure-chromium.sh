#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the dashboard's browser test
# (test/browser/dashboard.test.ts) and the README screenshots (scripts/dashboard-screenshots.ts), which drive it
# through playwright-core. Idempotent: does nothing when it is there already. Installs it with apt when running
# as root (CI containers, this dev box); otherwise prints what to do and fails.
# Wired as the `pretest` npm script, so `npm test` (and .ci/run) gets it on a fresh machine.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium with apt-get (a minute or two)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  if [ -x "$CHROMIUM" ]; then
    echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
    exit 0
  fi
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi

cat >&2 <<MSG
ensure-chromium: $CHROMIUM is missing and this script can only install it as root with apt-get.
The dashboard's browser test needs Debian/Ubuntu's Chromium. Install it once, then rerun:

    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium

(or point CHROMIUM_PATH at an existing Chromium/Chrome binary).
MSG
exit 1
