namespace EdgeVoice.Relay.Notices;

/// <summary>Why an Ogg page, or an Ogg Opus notice file, did not read.</summary>
public enum OggError
{
    None = 0,
    /// <summary>Shorter than the page header, its segment table or its body.</summary>
    Truncated,
    /// <summary>The page does not start with the capture pattern "OggS".</summary>
    BadCapturePattern,
    /// <summary>The stream structure version is not 0.</summary>
    BadVersion,
    /// <summary>The page's CRC does not match its bytes.</summary>
    BadChecksum,
    /// <summary>The file holds no page at all.</summary>
    Empty,
    /// <summary>The first page does not begin a stream, or a later page begins another (chained or multiplexed streams).</summary>
    NotOneStream,
    /// <summary>A page's sequence number is not the previous one's plus one (a page is missing).</summary>
    PageOutOfSequence,
    /// <summary>A page's continued-packet flag disagrees with whether the previous page left a packet open.</summary>
    BrokenContinuation,
    /// <summary>The last page is not marked end-of-stream, or a packet is left unfinished (a cut file).</summary>
    MissingEndOfStream,
    /// <summary>Bytes follow the end-of-stream page.</summary>
    TrailingData,
    /// <summary>The first packet is not a valid OpusHead (RFC 7845 §5.1).</summary>
    BadOpusHead,
    /// <summary>An OpusHead this reader does not play: a major version other than 0, more than 2 channels, or a mapping family other than 0.</summary>
    UnsupportedOpusHead,
    /// <summary>The second packet is not OpusTags (RFC 7845 §5.2).</summary>
    MissingOpusTags,
    /// <summary>An audio packet is empty, or its TOC byte says a frame count its length cannot hold.</summary>
    BadOpusPacket,
    /// <summary>An audio packet does not last 20 ms (the relay paces one packet per 20 ms): encode with --framesize 20.</summary>
    NotTwentyMilliseconds,
    /// <summary>An audio packet is larger than the relay sends in one RTP packet.</summary>
    PacketTooLarge,
    /// <summary>The stream holds no audio packet.</summary>
    NoAudio,
    /// <summary>The stream is longer than a notice may be.</summary>
    TooLong,
}
