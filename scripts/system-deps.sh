#!/usr/bin/env bash
# Installs only what is missing, and only when run as root; otherwise says what is missing.
set -euo pipefail
# Debian packages the project needs, by purpose:
#   (default) tests: PostgreSQL, Chromium, a CJK font, the mosquitto MQTT broker, Java for Spark,
#             ffmpeg (the HLS clip a camera's live view plays in the browser test)
#   --demo: the broker only     --bench: PostGIS too     --node: npm
case "${1:-}" in
  --node) command -v npm >/dev/null && exit 0; wanted=(nodejs npm) ;;
  --demo) wanted=(mosquitto) ;;
  --bench) wanted=(postgresql chromium fonts-noto-cjk mosquitto openjdk-17-jre-headless ffmpeg postgresql-15-postgis-3) ;;
  *) wanted=(postgresql chromium fonts-noto-cjk mosquitto openjdk-17-jre-headless ffmpeg) ;;
esac
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages (install them as root): ${missing[*]}" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start a system cluster and broker we do not use; tests run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi
if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  for version_dir in /etc/postgresql/*/main; do
    version=$(basename "$(dirname "$version_dir")")
    pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
  done
fi
