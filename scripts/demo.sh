#!/usr/bin/env bash
# The README's demo command: installs what is needed on a fresh Debian 12 machine, builds, creates a cluster CA and
# node certificates, starts two transceivers (embedded engines: pocketsphinx, echo agent, espeak-ng) and the
# Native-AOT relay, which places each call on one of them over the QUIC tunnel. Open http://127.0.0.1:8080 in a
# browser on this machine, press Call and ask one of the demo questions (configs/transceiver-demo.gram), e.g.
# "what time is it": the agent says back what it heard, and the page shows the transcript live. Ctrl+C stops all.
# `bash scripts/demo.sh --echo` runs the relay alone, echoing your voice.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

packages=(clang zlib1g-dev libopus0 libopus-dev espeak-ng espeak-ng-data libespeak-ng1 libpocketsphinx3 pocketsphinx-en-us
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev pkg-config gcc)
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

if [[ ${1:-} == --echo ]]; then
  echo "== EdgeVoice relay (echo): open http://127.0.0.1:8080 and press Call (Ctrl+C to stop)"
  exec artifacts/relay/edgevoice-relay --config configs/relay.yaml
fi

echo "== building the edgevoice command line and the transceiver"
dotnet build shared/EdgeVoice.Cli -c Release -v quiet -nologo
dotnet build transceiver-gpu/EdgeVoice.Transceiver -c Release -v quiet -nologo
cli=shared/EdgeVoice.Cli/bin/Release/net10.0/edgevoice
transceiver=transceiver-gpu/EdgeVoice.Transceiver/bin/Release/net10.0/edgevoice-transceiver

demo=$root/out/demo
mkdir -p "$demo"
echo "== cluster CA and node certificates in $demo"
"$cli" ca-create --cluster demo --cert "$demo/ca.crt" --key "$demo/ca.key" --force
"$cli" cert-issue --ca-cert "$demo/ca.crt" --ca-key "$demo/ca.key" --role relay --name relay-1 --cert "$demo/relay-1.crt" --key "$demo/relay-1.key" --force
for node in gpu-1 gpu-2; do
  "$cli" cert-issue --ca-cert "$demo/ca.crt" --ca-key "$demo/ca.key" --role transceiver --name "$node" \
    --cert "$demo/$node.crt" --key "$demo/$node.key" --force
done

capacity=$(sed -n 's/^  max_sessions: *\([0-9]*\).*/\1/p' configs/transceiver.yaml)
port=4433
for node in gpu-1 gpu-2; do
  cat > "$demo/tunnel-$node.yaml" <<YAML
tunnel:
  role: transceiver
  name: $node
  certificate: $demo/$node.crt
  key: $demo/$node.key
  ca: $demo/ca.crt
  listen: 127.0.0.1:$port
  capacity: $capacity
  peers:
    - name: relay-1
YAML
  port=$((port + 1))
done
{
  cat configs/relay.yaml | sed "s#^  page: ../web/demo/index.html#  page: $root/web/demo/index.html#"
  cat <<YAML

transceivers:
  name: relay-1
  certificate: $demo/relay-1.crt
  key: $demo/relay-1.key
  ca: $demo/ca.crt
  pool:
    - name: gpu-1
      address: 127.0.0.1:4433
    - name: gpu-2
      address: 127.0.0.1:4434
YAML
} > "$demo/relay.yaml"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
for node in gpu-1 gpu-2; do
  "$transceiver" serve --config configs/transceiver.yaml --tunnel "$demo/tunnel-$node.yaml" > "$demo/$node.log" 2>&1 &
  pids+=($!)
done
artifacts/relay/edgevoice-relay --config "$demo/relay.yaml" &
pids+=($!)
echo "== EdgeVoice: open http://127.0.0.1:8080, press Call and ask \"what time is it\" (transceiver logs in $demo; Ctrl+C to stop)"
wait -n "${pids[@]}"
