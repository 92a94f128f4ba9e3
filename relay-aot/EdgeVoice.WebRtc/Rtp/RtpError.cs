namespace EdgeVoice.WebRtc.Rtp;

/// <summary>Why an RTP or RTCP packet did not parse.</summary>
public enum RtpError
{
    None = 0,
    /// <summary>Shorter than its fixed header.</summary>
    Truncated,
    /// <summary>Version field is not 2.</summary>
    BadVersion,
    /// <summary>The CSRC list runs past the end of the packet.</summary>
    CsrcPastEnd,
    /// <summary>The header extension (or its declared length) runs past the end of the packet.</summary>
    ExtensionPastEnd,
    /// <summary>Padding flag set with a count of 0 or one that runs into the header.</summary>
    BadPadding,
    /// <summary>An RTCP packet's length field runs past the end of the datagram, or is not what its type needs.</summary>
    BadLength,
    /// <summary>An RTCP packet's count field asks for more report blocks, chunks or sources than it holds.</summary>
    BadCount,
    /// <summary>An SDES chunk or item runs past its packet, or is not terminated.</summary>
    BadSourceDescription,
    /// <summary>The datagram holds no RTCP packet at all.</summary>
    Empty,
    /// <summary>Expected another RTCP packet type here.</summary>
    WrongPacketType,
}
