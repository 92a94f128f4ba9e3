using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Vad;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>The engines one session runs; owned and disposed by the session.</summary>
public sealed record SessionEngines(IVoiceActivityDetector Vad, ISpeechRecognizer Asr, IAgent Agent, ISpeechSynthesizer Tts) : IDisposable
{
    public void Dispose()
    {
        Vad.Dispose();
        Asr.Dispose();
        Agent.Dispose();
        Tts.Dispose();
    }
}
