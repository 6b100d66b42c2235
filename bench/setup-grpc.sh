#!/usr/bin/env bash
# Installs what connswap-grpc-bench needs (Debian 12: gRPC C++ 1.51 and its protoc plugin),
# and Debian's nginx for bench/compare_nginx.sh (its gRPC proxy, grpc_pass, is built in).
# Kept out of scripts/setup.sh: CI never builds the gRPC comparison (CONNSWAP_BUILD_GRPC_BENCH
# is OFF by default), and gRPC + abseil + re2 are a large download.
set -euo pipefail
packages=(libgrpc++-dev protobuf-compiler-grpc nginx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-grpc: already installed"
  exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup-grpc: done; configure with -DCONNSWAP_BUILD_GRPC_BENCH=ON"
