#!/usr/bin/env bash
# Installs what the WordPress end-to-end test needs, from Debian packages: WordPress (with the Akismet plugin it
# ships), Apache with PHP, a classic theme whose comment form the test drives, and chromium for Playwright.
# Idempotent: does nothing when every package is already installed. Called by .ci/run before `make test`.
set -euo pipefail

packages=(wordpress wordpress-theme-twentytwentyone apache2 libapache2-mod-php php-mysql php-curl php-xml
          php-mbstring mariadb-client chromium)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -- "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# The test runs its own Apache on a private config; the packaged service must not hold port 80 or start at boot.
# policy-rc.d keeps the package scripts from starting daemons while they install (removed again afterwards).
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y --no-install-recommends "${missing[@]}"
