#!/usr/bin/env bash
# Builds the baselines from ../shared/baselines (read-only there) into out/baselines/ for the benchmarks.
# Needs: gcc libsrtp2-dev libssl-dev golang-go golang-github-pion-webrtc.v3-dev (bench/run installs them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${EDGEVOICE_BASELINES:-$root/../shared/baselines}
out=$root/out/baselines
if [[ -x $out/crypto_floor && -x $out/pion_relay/pion_relay && -x $out/udp_echo && -x $out/srtp_bench ]]; then
  echo "$out"; exit 0
fi
rm -rf "$out"; mkdir -p "$out"
cp -r "$src"/. "$out"/
chmod -R u+w "$out"
"$out"/build.sh >&2
echo "$out"
