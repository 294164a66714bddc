#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for Mailbanner: system packages, a virtualenv with every project.
# Usage: scripts/setup.sh [--servers]   (--servers also installs what the tests need: PostgreSQL, MariaDB, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

with_servers=0
[ "${1:-}" = "--servers" ] && with_servers=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(unixodbc odbc-postgresql odbc-mariadb redis-server python3-venv)
[ "$with_servers" -eq 1 ] && packages+=(postgresql mariadb-server chromium fonts-noto-cjk prometheus wrk)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

scripts/services.sh redis
[ "$with_servers" -eq 1 ] && scripts/services.sh postgresql mariadb
echo "setup: ready (.venv)"
