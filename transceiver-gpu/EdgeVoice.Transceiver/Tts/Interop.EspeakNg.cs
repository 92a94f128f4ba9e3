using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Tts;

/// <summary>Debian's libespeak-ng1 (<c>libespeak-ng.so.1</c>, API of speak_lib.h).</summary>
internal static partial class EspeakNgInterop
{
    public const string Library = "libespeak-ng.so.1";

    public const int AudioOutputSynchronous = 2;
    public const int InitializeDontExit = 0x8000;
    public const int CharsUtf8 = 1;
    public const int PositionCharacter = 1;
    public const int ParameterRate = 1;
    public const int PhonemesIpa = 0x02;
    public const int EventListTerminated = 0;
    /// <summary>Offset of <c>user_data</c> in <c>espeak_EVENT</c> on LP64: six 4-byte fields, then the pointer.</summary>
    public const int EventUserDataOffset = 24;

    [LibraryImport(Library, EntryPoint = "espeak_Initialize")]
    public static partial int Initialize(int output, int bufferLengthMs, IntPtr path, int options);

    [LibraryImport(Library, EntryPoint = "espeak_SetSynthCallback")]
    public static unsafe partial void SetSynthCallback(delegate* unmanaged<short*, int, IntPtr, int> callback);

    [LibraryImport(Library, EntryPoint = "espeak_SetVoiceByName", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetVoiceByName(string name);

    [LibraryImport(Library, EntryPoint = "espeak_SetParameter")]
    public static partial int SetParameter(int parameter, int value, int relative);

    [LibraryImport(Library, EntryPoint = "espeak_Synth")]
    public static unsafe partial int Synth(byte* text, nuint size, uint position, int positionType, uint endPosition, uint flags, uint* uniqueIdentifier, IntPtr userData);

    [LibraryImport(Library, EntryPoint = "espeak_TextToPhonemes")]
    public static unsafe partial IntPtr TextToPhonemes(byte** textPointer, int textMode, int phonemeMode);

    [LibraryImport(Library, EntryPoint = "espeak_Terminate")]
    public static partial int Terminate();
}
