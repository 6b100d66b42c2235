#!/usr/bin/env bash
# Installs the Debian 12 packages connswap needs to build, test and benchmark. Idempotent:
# installs only what is missing. Uses apt-get directly as root, sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  clang clang-format clang-tidy libclang-rt-14-dev
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev gnutls-bin
  libasio-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler prometheus-cpp-dev libhttp-parser-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  ngtcp2-server ngtcp2-client
  procps iproute2 python3 python3-venv curl
  gnuplot-nox prometheus
  chromium chromium-driver
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
