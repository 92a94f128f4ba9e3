namespace EdgeVoice.Tunnel.Control;

/// <summary>Why bytes on the control stream are not a control message.</summary>
public enum ControlError
{
    None = 0,
    TooShort,
    RecordTooLarge,
    BadMessageVersion,
    Truncated,
    BadString,
    BadEnumValue,
    TooManyItems,
    DestinationTooSmall,
}
