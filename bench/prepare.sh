#!/usr/bin/env bash
# Shared first step of bench/relay.sh, bench/calls.sh and bench/conversation.sh: publishes the Native-AOT relay into artifacts/relay when
# missing or older than its sources (EDGEVOICE_REPUBLISH=1 forces it), builds the baselines (bench/baselines.sh) and the
# bench project (Release). Needs: dotnet SDK, clang + zlib1g-dev (Native AOT), gcc libsrtp2-dev libssl-dev golang-go
# golang-github-pion-webrtc.v3-dev (baselines).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
relay=artifacts/relay/edgevoice-relay
if [[ ${EDGEVOICE_REPUBLISH:-0} == 1 || ! -x $relay || -n $(find relay-aot shared/EdgeVoice.Tunnel -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -newer "$relay" -print -quit) ]]; then
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
