#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (tests/browser), once: a second run does nothing.
# Playwright drives this binary (executable_path=/usr/bin/chromium), so no browser is downloaded by pip or npm.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get -o DPkg::Lock::Timeout=900 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends chromium fonts-dejavu-core
