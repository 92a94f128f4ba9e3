'use strict';
// Records what Chromium plays of every remote WebRTC audio track, from the moment the track arrives,
// as 16-bit PCM at the AudioContext's rate. Injected before any page script (Playwright's
// AddInitScriptAsync; tests/EdgeVoice.Relay.Tests/Support/ReceivedAudio.cs), so it works on any
// page, the demo page included, without test code in the page. window.edgeVoiceRecorder:
//   count()            recordings so far (one per remote audio track, in arrival order)
//   info(i)            { sampleRate, seconds, startedAtMs } (startedAtMs: performance.now() of sample 0)
//   wav(i, fromS, toS) base64 WAV (mono, 16-bit) of recording i (-1 = last), optionally a slice in seconds
//   stop(i)            stops recording i (it keeps what it has)
//   connectionStates() connectionState of every RTCPeerConnection the page made, in order
//   connectionHistory() every connectionState each of them has been in, in order, from 'new'
//   offers()           local offers each of them made (signalingState 'have-local-offer' entered)
(() => {
  if (window.edgeVoiceRecorder) return;

  // Runs on the audio thread: forwards its input in 4096-sample batches, each with the context frame
  // of its first sample, so the page can place every batch on one timeline even if rendering skipped.
  const tapSource = `
    class EdgeVoiceTap extends AudioWorkletProcessor {
      constructor() {
        super();
        this.batch = new Float32Array(4096);
        this.filled = 0;
        this.batchFrame = 0;
        this.stopped = false;
        this.port.onmessage = () => { this.flush(); this.stopped = true; };
      }
      flush() {
        if (this.filled === 0) return;
        const samples = this.batch.slice(0, this.filled);
        this.port.postMessage({ frame: this.batchFrame, samples }, [samples.buffer]);
        this.filled = 0;
      }
      process(inputs) {
        if (this.stopped) return false;
        const channel = inputs[0][0];
        const length = channel ? channel.length : 128;
        if (this.filled === 0) this.batchFrame = currentFrame;
        else if (this.batchFrame + this.filled !== currentFrame) { this.flush(); this.batchFrame = currentFrame; }
        if (channel) this.batch.set(channel, this.filled);
        else this.batch.fill(0, this.filled, this.filled + length);
        this.filled += length;
        if (this.filled + 128 > this.batch.length) this.flush();
        return true;
      }
    }
    registerProcessor('edgevoice-tap', EdgeVoiceTap);`;

  const recordings = [];
  const peers = [];
  let context = null;
  let tapLoaded = null;

  function audioContext() {
    if (!context) {
      context = new AudioContext();
      tapLoaded = context.audioWorklet.addModule(URL.createObjectURL(new Blob([tapSource], { type: 'text/javascript' })));
    }
    return context;
  }

  async function record(track) {
    const stream = new MediaStream([track]);
    // Chromium feeds a remote stream into Web Audio only while an unmuted media element plays it.
    const sink = new Audio();
    sink.muted = false;
    sink.srcObject = stream;
    const recording = { track, sink, node: null, batches: [], firstFrame: -1, lastFrame: 0, sampleRate: 0, startedAtMs: 0 };
    recordings.push(recording);
    const ctx = audioContext();
    recording.sampleRate = ctx.sampleRate;
    await Promise.all([sink.play(), ctx.resume(), tapLoaded]);
    if (recording.stopped) return;
    const node = new AudioWorkletNode(ctx, 'edgevoice-tap', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit' });
    node.port.onmessage = ({ data }) => {
      if (recording.firstFrame < 0) {
        recording.firstFrame = data.frame;
        // The output timestamp maps context time to performance.now(); sample 0 is firstFrame.
        const stamp = ctx.getOutputTimestamp();
        recording.startedAtMs = stamp.performanceTime - (stamp.contextTime - data.frame / ctx.sampleRate) * 1000;
      }
      recording.batches.push(data);
      recording.lastFrame = data.frame + data.samples.length;
    };
    ctx.createMediaStreamSource(stream).connect(node);
    // Connected to the output (it writes silence) so the audio graph keeps pulling it.
    node.connect(ctx.destination);
    recording.node = node;
  }

  // Made with the page, so that a busy machine does not delay the first recording by the worklet's load.
  audioContext();

  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePeerConnection {
    constructor(...args) {
      super(...args);
      peers.push(this);
      // Kept per peer so a test can tell one uninterrupted connection (and one offer) from a reconnect or renegotiation.
      this.edgeVoiceStates = [this.connectionState];
      this.edgeVoiceOffers = 0;
      this.addEventListener('connectionstatechange', () => this.edgeVoiceStates.push(this.connectionState));
      this.addEventListener('signalingstatechange', () => { if (this.signalingState === 'have-local-offer') this.edgeVoiceOffers++; });
      this.addEventListener('track', e => {
        if (e.track.kind === 'audio') record(e.track).catch(error => console.error(`edgeVoiceRecorder: ${error}`));
      });
    }
  };

  function pick(index) {
    const recording = recordings[index < 0 ? recordings.length + index : index];
    if (!recording) throw new Error(`no recording ${index} (${recordings.length} so far)`);
    return recording;
  }

  function info(index = -1) {
    const r = pick(index);
    const samples = r.firstFrame < 0 ? 0 : r.lastFrame - r.firstFrame;
    return { sampleRate: r.sampleRate, seconds: r.sampleRate ? samples / r.sampleRate : 0, startedAtMs: r.startedAtMs };
  }

  // Samples [from, to) of the recording's timeline as 16-bit PCM; frames no batch covers stay silent.
  function pcm(r, from, to) {
    const out = new Int16Array(Math.max(0, to - from));
    for (const { frame, samples } of r.batches) {
      const start = frame - r.firstFrame;
      for (let i = Math.max(0, from - start); i < samples.length && start + i < to; i++) {
        const s = Math.max(-1, Math.min(1, samples[i]));
        out[start + i - from] = s < 0 ? s * 32768 : s * 32767;
      }
    }
    return out;
  }

  function wav(index = -1, fromSeconds = 0, toSeconds = Infinity) {
    const r = pick(index);
    const total = r.firstFrame < 0 ? 0 : r.lastFrame - r.firstFrame;
    const from = Math.min(total, Math.max(0, Math.round(fromSeconds * r.sampleRate)));
    const to = Math.min(total, Math.max(from, Math.round(Math.min(toSeconds, total) * r.sampleRate)));
    const data = pcm(r, from, to);
    const bytes = new Uint8Array(44 + data.length * 2);
    const view = new DataView(bytes.buffer);
    const ascii = (at, text) => { for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i); };
    ascii(0, 'RIFF'); view.setUint32(4, 36 + data.length * 2, true); ascii(8, 'WAVE');
    ascii(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, r.sampleRate, true); view.setUint32(28, r.sampleRate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    ascii(36, 'data'); view.setUint32(40, data.length * 2, true);
    new Int16Array(bytes.buffer, 44).set(data);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }

  function stop(index = -1) {
    const r = pick(index);
    r.stopped = true;
    r.node?.port.postMessage('stop');
    r.node?.disconnect();
    r.sink.srcObject = null;
  }

  window.edgeVoiceRecorder = { count: () => recordings.length, info, wav, stop, connectionStates: () => peers.map(pc => pc.connectionState),
    connectionHistory: () => peers.map(pc => [...pc.edgeVoiceStates]), offers: () => peers.map(pc => pc.edgeVoiceOffers) };
})();
