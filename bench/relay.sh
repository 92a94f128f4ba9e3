#!/usr/bin/env bash
# Relay benchmark: EdgeVoice's Native-AOT relay beside pion_relay, same load, same run.
#   bench/relay.sh [echo|stun|setup|all] [--calls 8,64] [--seconds 15] ...   (see --help)
# Publishes the relay into artifacts/relay when missing or older than its sources (EDGEVOICE_REPUBLISH=1 forces it),
# builds the baselines (bench/baselines.sh), then runs `EdgeVoice.Bench relay`. Figures: stdout and artifacts/bench/relay-DATE.json.
# Needs: dotnet SDK, clang + zlib1g-dev (Native AOT), gcc libsrtp2-dev libssl-dev golang-go golang-github-pion-webrtc.v3-dev
# (baselines), python3-aiortc + python3-numpy for /usr/bin/python3 (setup scenario).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
relay=artifacts/relay/edgevoice-relay
if [[ ${EDGEVOICE_REPUBLISH:-0} == 1 || ! -x $relay || -n $(find relay-aot -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -newer "$relay" -print -quit) ]]; then
  echo "publishing the relay (Native AOT) into artifacts/relay ..." >&2
  dotnet publish relay-aot/EdgeVoice.Relay -c Release -r linux-x64 -o artifacts/relay >&2
fi
baselines=${EDGEVOICE_BASELINES:-}
if [[ -z $baselines ]]; then
  # The baseline sources sit in shared/ beside the checkout, or beside a parent of it (worktrees sit deeper).
  for dir in "$root/.." "$root/../.." "$root/../../.."; do
    if [[ -d $dir/shared/baselines ]]; then baselines=$(cd "$dir/shared/baselines" && pwd); break; fi
  done
fi
# Not exported: the relay reads every EDGEVOICE_* variable as a setting.
EDGEVOICE_BASELINES=${baselines:-$root/../shared/baselines} bash bench/baselines.sh >/dev/null
dotnet build bench/EdgeVoice.Bench -c Release -v quiet -nologo >&2
exec dotnet bench/EdgeVoice.Bench/bin/Release/net10.0/EdgeVoice.Bench.dll relay "$@"
