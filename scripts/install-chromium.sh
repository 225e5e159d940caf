#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver if either is missing, then print their versions.
#
# The caregiver-report browser test (tests/functional/test_report_browser.py) drives the real
# headless Chromium. Idempotent: does nothing but print versions when both are present.
# apt-get is all-or-nothing for one transaction; if it fails, `dpkg --configure -a` is run so the
# next attempt does not meet a half-configured package, and the script exits non-zero.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ ! -x "$CHROMIUM" || ! -x "$DRIVER" ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-chromium: $CHROMIUM or $DRIVER is missing; run as root (or: sudo $0)" >&2
    exit 1
  fi
  echo "install-chromium: installing chromium and chromium-driver with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }; then
    echo "install-chromium: apt-get failed; repairing dpkg state" >&2
    dpkg --configure -a || true
    exit 1
  fi
fi

"$CHROMIUM" --version
"$DRIVER" --version
