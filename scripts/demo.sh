#!/usr/bin/env bash
# The README's demo command: installs what is needed on a fresh Debian 12 machine, publishes the
# Native-AOT relay and runs it with configs/relay.yaml. Open http://127.0.0.1:8080 in a browser on
# this machine, press Call and speak: the relay echoes your voice back over WebRTC. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(clang zlib1g-dev)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

echo "== publishing the relay (Native AOT) to artifacts/relay"
dotnet publish relay-aot/EdgeVoice.Relay -c Release -r linux-x64 -o artifacts/relay -v quiet -nologo

echo "== EdgeVoice relay: open http://127.0.0.1:8080 and press Call (Ctrl+C to stop)"
exec artifacts/relay/edgevoice-relay --config configs/relay.yaml "$@"
