#!/usr/bin/env bash
# End of the caller's speech to the first reply audio at the caller, loopback, embedded default engines
# (configs/transceiver.yaml): the AOT relay and a transceiver over the real tunnel, a synthetic caller speaking an
# espeak-ng question in 20 ms SRTP frames; beside the same pipeline fed the same frames without the network path.
#   bench/conversation.sh [--turns 10] [--question "call my mother"] [--out bench/results]   (see --help)
# Figures: stdout and artifacts/bench/conversation-DATE.json (or --out). Needs what bench/prepare.sh needs, plus
# espeak-ng (libespeak-ng1), pocketsphinx + pocketsphinx-en-us, libopus-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/bench/prepare.sh"
cd "$root"
exec dotnet bench/EdgeVoice.Bench/bin/Release/net10.0/EdgeVoice.Bench.dll conversation "$@"
