#!/usr/bin/python3
"""One WebRTC call to an EdgeVoice-style relay with aiortc as the caller.

usage: /usr/bin/python3 aiortc_call.py URL KEY WAV SECONDS

URL is the relay's HTTP base (http://127.0.0.1:8089). The script POSTs an offer to
URL/v1/calls, sets the answer, plays WAV (48 kHz mono) as its microphone for SECONDS,
records the audio the relay sends back, hangs up with DELETE and prints one JSON line:

  {"connected": true, "setup_ms": 31.2, "frames_received": 240, "rms": 0.21,
   "dominant_hz": 660.0, "post_status": 201, "delete_status": 204, "error": null}

setup_ms runs from the POST being sent to the PeerConnection reaching "connected"
(ICE and DTLS done). Exit status 0 only when the call connected, audio came back and
the hang-up returned 204; the whole run is bounded by SECONDS + 20 s.

Needs Debian's python3-aiortc 1.4.0 (seen only by /usr/bin/python3) and python3-numpy.
"""

import asyncio
import json
import sys
import time
import urllib.error
import urllib.request

import aioice.ice
import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError

SAMPLE_RATE = 48000
CONNECT_TIMEOUT_S = 10.0
# Skip the first received audio (Opus warm-up, jitter buffer fill) when measuring.
SETTLE_S = 0.5


def gather_loopback_only(use_ipv4: bool, use_ipv6: bool) -> list:
    # aioice 0.8 drops 127.0.0.1 from host candidates; the relay under test listens on loopback.
    return ["127.0.0.1"] if use_ipv4 else []


aioice.ice.get_host_addresses = gather_loopback_only


def http_request(method: str, url: str, key: str, body: bytes = None) -> tuple:
    headers = {"Authorization": "Bearer " + key}
    if body is not None:
        headers["Content-Type"] = "application/sdp"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class ReceivedAudio:
    """Collects the first channel of every decoded frame the relay sends back."""

    def __init__(self) -> None:
        self.frames = 0
        self.chunks = []

    async def consume(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames += 1
            samples = frame.to_ndarray()  # packed s16: shape (1, samples * channels)
            channels = len(frame.layout.channels)
            mono = samples.reshape(-1, channels)[:, 0].astype(numpy.float64) / 32768.0
            self.chunks.append((frame.sample_rate, mono))

    def measure(self) -> tuple:
        """RMS (full scale = 1.0) and dominant frequency of what arrived after SETTLE_S."""
        if not self.chunks:
            return 0.0, None
        rate = self.chunks[0][0]
        audio = numpy.concatenate([c for _, c in self.chunks])
        audio = audio[int(SETTLE_S * rate):] if len(audio) > 2 * SETTLE_S * rate else audio
        rms = float(numpy.sqrt(numpy.mean(audio * audio)))
        if rms < 1e-4:
            return rms, None
        spectrum = numpy.abs(numpy.fft.rfft(audio * numpy.hanning(len(audio))))
        spectrum[0] = 0.0
        peak = int(numpy.argmax(spectrum))
        return rms, round(peak * rate / len(audio), 1)


async def call(url: str, key: str, wav: str, seconds: float) -> dict:
    result = {"connected": False, "setup_ms": None, "frames_received": 0, "rms": 0.0,
              "dominant_hz": None, "post_status": None, "delete_status": None, "error": None}
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN server: loopback only
    player = MediaPlayer(wav)
    received = ReceivedAudio()
    consumers = []
    connected = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        if track.kind == "audio":
            consumers.append(asyncio.ensure_future(received.consume(track)))

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(time.monotonic())
        elif pc.connectionState == "failed" and not connected.done():
            connected.set_exception(RuntimeError("PeerConnection failed"))

    location = None
    loop = asyncio.get_running_loop()
    try:
        pc.addTrack(player.audio)
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers fully here
        offer = pc.localDescription.sdp.encode()

        sent = time.monotonic()
        status, headers, body = await loop.run_in_executor(
            None, http_request, "POST", url.rstrip("/") + "/v1/calls", key, offer)
        result["post_status"] = status
        if status != 201:
            raise RuntimeError("POST /v1/calls returned %d: %s" % (status, body[:200].decode(errors="replace")))
        location = headers.get("Location") or headers.get("location")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body.decode(), type="answer"))

        done = await asyncio.wait_for(connected, CONNECT_TIMEOUT_S)
        result["connected"] = True
        result["setup_ms"] = round((done - sent) * 1000.0, 1)

        await asyncio.sleep(seconds)
        result["frames_received"] = received.frames
        result["rms"], result["dominant_hz"] = received.measure()
        result["rms"] = round(result["rms"], 4)

        if location:
            status, _, _ = await loop.run_in_executor(
                None, http_request, "DELETE", url.rstrip("/") + location, key, None)
            result["delete_status"] = status
            location = None
    except Exception as e:  # reported in the JSON line; the exit status says it failed
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if location:  # leave no call behind on the relay when we failed midway
            try:
                await loop.run_in_executor(None, http_request, "DELETE", url.rstrip("/") + location, key, None)
            except Exception:
                pass
        await pc.close()
        for c in consumers:
            c.cancel()
    return result


def main(argv: list) -> int:
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    url, key, wav, seconds = argv[1], argv[2], argv[3], float(argv[4])
    try:
        result = asyncio.run(asyncio.wait_for(call(url, key, wav, seconds), seconds + 20.0))
    except asyncio.TimeoutError:
        result = {"connected": False, "error": "timed out after %.0f s" % (seconds + 20.0)}
    print(json.dumps(result), flush=True)
    ok = (result.get("connected") and result.get("frames_received", 0) > 0
          and result.get("delete_status") == 204 and not result.get("error"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
