#!/usr/bin/env bash
# Concurrent calls: many synthetic callers (one load thread, not browsers) against one relay, beside a bare UDP echo
# (shared/baselines udp_echo) in the same run: forwarder CPU per call, added round-trip latency p50/p99, ratios.
# Paths: udp (baseline), edgevoice (the AOT relay echoing), tunnel (the relay forwarding to an echoing transceiver over
# the QUIC tunnel), pion (pion_relay echoing).
#   bench/calls.sh [--calls 8,64] [--seconds 10] [--paths udp,edgevoice,tunnel,pion] [--out bench/results]   (see --help)
# Figures: stdout and artifacts/bench/calls-DATE.json (or --out). Needs what bench/prepare.sh needs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/bench/prepare.sh"
cd "$root"
exec dotnet bench/EdgeVoice.Bench/bin/Release/net10.0/EdgeVoice.Bench.dll calls "$@"
