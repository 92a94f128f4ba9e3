using System.Runtime.InteropServices;
using System.Text;

namespace EdgeVoice.Transceiver.Tts;

/// <summary>
/// The process-wide espeak-ng engine. espeak-ng keeps global state (one voice, one callback), so every call
/// is serialized behind one lock; the synthesis callback finds its sink through a weak GCHandle in user_data.
/// </summary>
public static class EspeakNg
{
    private static readonly Lock Gate = new();
    private static int _sampleRate;
    private static string? _notSupportedReason;
    private static bool _loaded;

    public static bool IsSupported { get { EnsureLoaded(); return _sampleRate > 0; } }
    public static string? NotSupportedReason { get { EnsureLoaded(); return _notSupportedReason; } }
    public static int SampleRate { get { EnsureLoaded(); return _sampleRate; } }

    private sealed class Sink
    {
        public readonly List<short> Samples = new();
        public CancellationToken Token;
    }

    private static unsafe void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            _loaded = true;
            try
            {
                int rate = EspeakNgInterop.Initialize(EspeakNgInterop.AudioOutputSynchronous, 0, IntPtr.Zero, EspeakNgInterop.InitializeDontExit);
                if (rate <= 0) { _notSupportedReason = $"espeak_Initialize failed ({rate}); is espeak-ng-data installed?"; return; }
                EspeakNgInterop.SetSynthCallback(&OnSynth);
                _sampleRate = rate;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _notSupportedReason = $"{EspeakNgInterop.Library} could not be loaded ({e.Message}); install Debian's libespeak-ng1";
            }
        }
    }

    private static void ThrowIfUnsupported()
    {
        if (!IsSupported) throw new InvalidOperationException(NotSupportedReason);
    }

    /// <summary>Speaks <paramref name="text"/> with a voice (e.g. <c>en-us+m3</c>) at a rate in words per minute.</summary>
    public static unsafe short[] Synthesize(string text, string voice, int wordsPerMinute, CancellationToken cancellationToken)
    {
        ThrowIfUnsupported();
        var sink = new Sink { Token = cancellationToken };
        var handle = GCHandle.Alloc(sink, GCHandleType.Weak);
        try
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text + "\0");
            lock (Gate)
            {
                Check(EspeakNgInterop.SetVoiceByName(voice), $"voice '{voice}'");
                Check(EspeakNgInterop.SetParameter(EspeakNgInterop.ParameterRate, wordsPerMinute, 0), "rate");
                fixed (byte* p = utf8)
                {
                    int status = EspeakNgInterop.Synth(p, (nuint)utf8.Length, 0, EspeakNgInterop.PositionCharacter, 0,
                        EspeakNgInterop.CharsUtf8, null, GCHandle.ToIntPtr(handle));
                    // EE_OK = 0; a cancelled synthesis is aborted by the callback and reported by the token below.
                    if (status != 0 && !cancellationToken.IsCancellationRequested) Check(status, "espeak_Synth");
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            return sink.Samples.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>IPA phonemes for <paramref name="text"/>, one string per clause (what Piper voices are trained on).</summary>
    public static unsafe List<string> Phonemize(string text, string voice)
    {
        ThrowIfUnsupported();
        var clauses = new List<string>();
        byte[] utf8 = Encoding.UTF8.GetBytes(text + "\0");
        lock (Gate)
        {
            Check(EspeakNgInterop.SetVoiceByName(voice), $"voice '{voice}'");
            fixed (byte* start = utf8)
            {
                byte* cursor = start;
                while (cursor != null && *cursor != 0)
                {
                    IntPtr phonemes = EspeakNgInterop.TextToPhonemes(&cursor, EspeakNgInterop.CharsUtf8, EspeakNgInterop.PhonemesIpa);
                    string? clause = Marshal.PtrToStringUTF8(phonemes);
                    if (!string.IsNullOrWhiteSpace(clause)) clauses.Add(clause.Trim());
                }
            }
        }
        return clauses;
    }

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"espeak-ng failed on {what} (espeak_ERROR {status})");
    }

    [UnmanagedCallersOnly]
    private static unsafe int OnSynth(short* wav, int samples, IntPtr events)
    {
        try
        {
            if (events == IntPtr.Zero) return 0;
            IntPtr userData = *(IntPtr*)((byte*)events + EspeakNgInterop.EventUserDataOffset);
            if (userData == IntPtr.Zero || GCHandle.FromIntPtr(userData).Target is not Sink sink) return 1;
            if (sink.Token.IsCancellationRequested) return 1; // 1 aborts synthesis
            if (wav != null && samples > 0)
            {
                var span = new ReadOnlySpan<short>(wav, samples);
                foreach (short s in span) sink.Samples.Add(s);
            }
            return 0;
        }
        catch
        {
            return 1; // never let an exception cross into native code
        }
    }
}
