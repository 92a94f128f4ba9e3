namespace EdgeVoice.Tunnel.Media;

/// <summary>Why a datagram is not a media frame.</summary>
public enum MediaFrameError
{
    None = 0,
    TooShort,
    UnsupportedVersion,
    BadDirection,
    BadHeaderLength,
    DestinationTooSmall,
}
