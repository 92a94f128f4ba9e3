#!/usr/bin/env bash
# Relay benchmark: EdgeVoice's Native-AOT relay beside pion_relay, same load, same run.
#   bench/relay.sh [echo|stun|setup|all] [--calls 8,64] [--seconds 15] ...   (see --help)
# Publishes the relay into artifacts/relay when missing or older than its sources (EDGEVOICE_REPUBLISH=1 forces it),
# builds the baselines (bench/baselines.sh), then runs `EdgeVoice.Bench relay`. Figures: stdout and artifacts/bench/relay-DATE.json.
# Needs: dotnet SDK, clang + zlib1g-dev (Native AOT), gcc libsrtp2-dev libssl-dev golang-go golang-github-pion-webrtc.v3-dev
# (baselines), python3-aiortc + python3-numpy for /usr/bin/python3 and chromium (setup scenario).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash "$root/bench/prepare.sh"
exec dotnet bench/EdgeVoice.Bench/bin/Release/net10.0/EdgeVoice.Bench.dll relay "$@"
