'use strict';
// A browser caller for the relay's HTTP API: POST the offer to {relayUrl}/v1/calls (201, answer
// SDP, Location), play what comes back, DELETE the Location to hang up. The end-to-end tests call
// window.edgeVoice.* through Playwright; one page may hold several calls at once.
(() => {
  const calls = [];
  let audioContext = null;

  function setStatus(text) {
    document.getElementById('status').textContent = text;
  }

  // Resolves when done() turns true on target's eventName, rejects when done() throws or on timeout.
  function until(target, eventName, done, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${what} not reached within ${timeoutMs} ms`)), timeoutMs);
      function finish(error) {
        clearTimeout(timer);
        target.removeEventListener(eventName, check);
        if (error) reject(error); else resolve();
      }
      function check() {
        try {
          if (done()) finish(null);
        } catch (error) {
          finish(error);
        }
      }
      target.addEventListener(eventName, check);
      check();
    });
  }

  function connected(pc) {
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
      throw new Error(`PeerConnection ${pc.connectionState}`);
    }
    return pc.connectionState === 'connected';
  }

  // Chromium decodes received audio only while an unmuted <audio> element plays the stream.
  async function play(call, stream) {
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.muted = false;
    audio.srcObject = stream;
    document.getElementById('players').append(audio);
    await audio.play();
    audioContext ??= new AudioContext();
    await audioContext.resume();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    call.audio = audio;
    call.analyser = analyser;
  }

  async function startCall({ relayUrl, key, gatherTimeoutMs = 2000, connectTimeoutMs = 10000 }) {
    // Raw capture: echo cancellation and noise suppression would eat a steady test tone.
    const mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      video: false,
    });
    const pc = new RTCPeerConnection();
    const call = { pc, mic, relayUrl, key, location: null, audio: null, analyser: null };
    const index = calls.push(call) - 1;
    const remote = new Promise(resolve => {
      pc.ontrack = e => resolve(e.streams[0] ?? new MediaStream([e.track]));
    });
    for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);

    await pc.setLocalDescription(await pc.createOffer());
    // An ICE-lite relay needs no candidates from us, so a slow gathering is not waited out.
    await until(pc, 'icegatheringstatechange', () => pc.iceGatheringState === 'complete',
      gatherTimeoutMs, 'ICE gathering complete').catch(() => {});

    setStatus(`call ${index}: posting offer`);
    const sent = performance.now();
    const response = await fetch(`${relayUrl}/v1/calls`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${key}`, 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    const answer = await response.text();
    if (response.status !== 201) {
      throw new Error(`POST ${relayUrl}/v1/calls returned ${response.status}: ${answer}`);
    }
    call.location = response.headers.get('Location');
    if (!call.location) throw new Error('201 without a Location header (CORS must expose it)');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await until(pc, 'connectionstatechange', () => connected(pc), connectTimeoutMs, 'connectionState connected');
    const setupMs = performance.now() - sent;
    setStatus(`call ${index}: connected`);

    await play(call, await remote);
    return { index, setupMs, location: call.location, postStatus: response.status };
  }

  async function inboundAudio(pc) {
    const report = await pc.getStats();
    for (const stats of report.values()) {
      if (stats.type === 'inbound-rtp' && stats.kind === 'audio') return stats;
    }
    return null;
  }

  // Watches a call for durationMs: RMS of the received audio (full scale = 1) and the frequency
  // with the most energy, read from the call's AnalyserNode every 100 ms after settleMs.
  async function observe({ index, durationMs = 3000, settleMs = 500 }) {
    const call = calls[index];
    const analyser = call.analyser;
    const rate = analyser.context.sampleRate;
    const wave = new Float32Array(analyser.fftSize);
    const decibels = new Float32Array(analyser.frequencyBinCount);
    const power = new Float64Array(analyser.frequencyBinCount);
    const started = performance.now();
    let reads = 0;
    let rmsSum = 0;
    let rmsMax = 0;
    while (performance.now() - started < durationMs) {
      await new Promise(r => setTimeout(r, 100));
      if (performance.now() - started < settleMs) continue;
      analyser.getFloatTimeDomainData(wave);
      let squares = 0;
      for (const s of wave) squares += s * s;
      const rms = Math.sqrt(squares / wave.length);
      rmsSum += rms;
      rmsMax = Math.max(rmsMax, rms);
      analyser.getFloatFrequencyData(decibels);
      for (let i = 1; i < decibels.length; i++) {
        if (Number.isFinite(decibels[i])) power[i] += Math.pow(10, decibels[i] / 10);
      }
      reads++;
    }
    let peak = 1;
    for (let i = 2; i < power.length; i++) if (power[i] > power[peak]) peak = i;
    const inbound = await inboundAudio(call.pc);
    return {
      connectionState: call.pc.connectionState,
      packetsReceived: inbound?.packetsReceived ?? 0,
      totalAudioEnergy: inbound?.totalAudioEnergy ?? 0,
      rms: reads ? rmsSum / reads : 0,
      rmsMax,
      dominantHz: power[peak] > 0 ? peak * rate / analyser.fftSize : 0,
      reads,
    };
  }

  async function hangUp({ index }) {
    const call = calls[index];
    const url = new URL(call.location, call.relayUrl || window.location.href);
    const response = await fetch(url, { method: 'DELETE', headers: { 'Authorization': `Bearer ${call.key}` } });
    call.pc.close();
    for (const track of call.mic.getTracks()) track.stop();
    call.audio?.remove();
    setStatus(`call ${index}: hung up`);
    return {
      deleteStatus: response.status,
      connectionState: call.pc.connectionState,
      signalingState: call.pc.signalingState,
    };
  }

  window.edgeVoice = { startCall, observe, hangUp };
})();
