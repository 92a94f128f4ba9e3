#!/bin/sh
# Makes no-transceiver.opus, the notice the relay plays when no transceiver can take a call (embedded in the binary;
# relay.yaml notices.no_transceiver overrides it). Needs espeak-ng, sox and opus-tools (opusenc); run from this folder.
# The voice is the one pocketsphinx recognizes best here, so the tests can check the words the caller hears.
set -eu
text="Sorry, no agent is available. Please call again later."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us+m3 -s 140 -w "$tmp/speech.wav" "$text"
# 48 kHz mono (the RTP clock), with a little silence before and after.
sox "$tmp/speech.wav" -r 48000 -c 1 -b 16 "$tmp/speech-48k.wav" pad 0.2 0.3
# 20 ms packets: the relay sends one per 20 ms.
opusenc --quiet --bitrate 24 --framesize 20 --title "EdgeVoice notice: no transceiver" "$tmp/speech-48k.wav" no-transceiver.opus
