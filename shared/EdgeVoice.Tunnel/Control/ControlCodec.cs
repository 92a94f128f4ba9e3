using System.Buffers.Binary;
using System.Text;

namespace EdgeVoice.Tunnel.Control;

/// <summary>
/// Control-stream records (docs/tunnel-wire-format.md §3): u32 length | u16 type | u8 message version | body.
/// Bodies only grow at the end, so a reader parses the fields it knows and ignores trailing bytes.
/// </summary>
public static class ControlCodec
{
    /// <summary>Length field + type + version.</summary>
    public const int RecordHeaderLength = 7;
    /// <summary>Largest value of the length field; larger records close the connection.</summary>
    public const int MaxRecordBodyLength = 64 * 1024;
    public const byte MessageVersion = 1;
    public const int MaxMetadataItems = 64;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Parses one whole record (length field included). Returns true with a null message for a
    /// well-formed record of an unknown type, which the caller skips.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> record, out ControlMessage? message, out ControlError error)
    {
        message = null;
        if (record.Length < RecordHeaderLength)
        {
            error = ControlError.TooShort;
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(record);
        if (length > MaxRecordBodyLength)
        {
            error = ControlError.RecordTooLarge;
            return false;
        }
        if (length < RecordHeaderLength - 4)
        {
            error = ControlError.TooShort;
            return false;
        }
        if (record.Length - 4 != length)
        {
            error = ControlError.Truncated;
            return false;
        }
        var type = (ControlMessageType)BinaryPrimitives.ReadUInt16BigEndian(record[4..]);
        byte version = record[6];
        if (version == 0)
        {
            error = ControlError.BadMessageVersion;
            return false;
        }
        var body = new BodyReader(record[RecordHeaderLength..]);
        message = type switch
        {
            ControlMessageType.Hello => ReadHello(ref body),
            ControlMessageType.SessionOpen => ReadSessionOpen(ref body),
            ControlMessageType.SessionClose => ReadSessionClose(ref body),
            ControlMessageType.LoadReport => ReadLoadReport(ref body),
            ControlMessageType.Event => ReadEvent(ref body),
            ControlMessageType.Ping => body.TryU64(out ulong n) ? new PingMessage(n) : null,
            ControlMessageType.Pong => body.TryU64(out ulong n) ? new PongMessage(n) : null,
            _ => null,
        };
        if (message is null && Enum.IsDefined(type) && !body.SkipRecord)
        {
            error = body.Error == ControlError.None ? ControlError.Truncated : body.Error;
            return false;
        }
        error = ControlError.None;
        return true;
    }

    /// <summary>Writes one record; returns its length, or -1 when <paramref name="destination"/> is too small.</summary>
    public static int WriteTo(ControlMessage message, Span<byte> destination)
    {
        var w = new BodyWriter(destination);
        w.U32(0);
        w.U16((ushort)message.Type);
        w.U8(MessageVersion);
        switch (message)
        {
            case HelloMessage m:
                w.U16(m.ProtocolVersion); w.U8((byte)m.Role); w.String(m.NodeName); w.U32(m.Capacity);
                break;
            case SessionOpenMessage m:
                w.U64(m.SessionId); w.String(m.Codec); w.U32(m.ClockRate); w.U8(m.Channels); w.U16(m.FrameDurationMs);
                if (m.Metadata.Count > MaxMetadataItems)
                    throw new ArgumentException($"at most {MaxMetadataItems} metadata items", nameof(message));
                w.U16((ushort)m.Metadata.Count);
                foreach (var (key, value) in m.Metadata)
                {
                    w.String(key); w.String(value);
                }
                break;
            case SessionCloseMessage m:
                w.U64(m.SessionId); w.U8((byte)m.Reason); w.String(m.Detail);
                break;
            case LoadReportMessage m:
                w.U32(m.Sessions); w.U32(m.Capacity); w.U32(m.QueueDepth); w.U16(m.AcceleratorUsePermille);
                break;
            case SessionEventMessage m:
                w.U64(m.SessionId); w.U8((byte)m.Kind); w.String(m.Text);
                break;
            case PingMessage m:
                w.U64(m.Nonce);
                break;
            case PongMessage m:
                w.U64(m.Nonce);
                break;
            default:
                throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message));
        }
        if (w.Overflow || w.Position - 4 > MaxRecordBodyLength)
            return -1;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(w.Position - 4));
        return w.Position;
    }

    private static HelloMessage? ReadHello(ref BodyReader r)
    {
        if (!r.TryU16(out ushort protocol) || !r.TryU8(out byte role) || !r.TryString(out string? name) || !r.TryU32(out uint capacity))
            return null;
        if (role is not ((byte)NodeRole.Relay or (byte)NodeRole.Transceiver))
            return r.Fail<HelloMessage>(ControlError.BadEnumValue);
        return new HelloMessage(protocol, (NodeRole)role, name, capacity);
    }

    private static SessionOpenMessage? ReadSessionOpen(ref BodyReader r)
    {
        if (!r.TryU64(out ulong id) || !r.TryString(out string? codec) || !r.TryU32(out uint clock)
            || !r.TryU8(out byte channels) || !r.TryU16(out ushort frameMs) || !r.TryU16(out ushort count))
            return null;
        if (count > MaxMetadataItems)
            return r.Fail<SessionOpenMessage>(ControlError.TooManyItems);
        var metadata = new KeyValuePair<string, string>[count];
        for (int i = 0; i < count; i++)
        {
            if (!r.TryString(out string? key) || !r.TryString(out string? value))
                return null;
            metadata[i] = new(key, value);
        }
        return new SessionOpenMessage(id, codec, clock, channels, frameMs, metadata);
    }

    private static SessionCloseMessage? ReadSessionClose(ref BodyReader r)
    {
        if (!r.TryU64(out ulong id) || !r.TryU8(out byte reason) || !r.TryString(out string? detail))
            return null;
        if (reason > (byte)SessionCloseReason.Error)
            return r.Fail<SessionCloseMessage>(ControlError.BadEnumValue);
        return new SessionCloseMessage(id, (SessionCloseReason)reason, detail);
    }

    private static LoadReportMessage? ReadLoadReport(ref BodyReader r)
    {
        if (!r.TryU32(out uint sessions) || !r.TryU32(out uint capacity) || !r.TryU32(out uint queue) || !r.TryU16(out ushort use))
            return null;
        if (use > 1000)
            return r.Fail<LoadReportMessage>(ControlError.BadEnumValue);
        return new LoadReportMessage(sessions, capacity, queue, use);
    }

    private static SessionEventMessage? ReadEvent(ref BodyReader r)
    {
        if (!r.TryU64(out ulong id) || !r.TryU8(out byte kind) || !r.TryString(out string? text))
            return null;
        if (kind < (byte)SessionEventKind.TranscriptPartial)
            return r.Fail<SessionEventMessage>(ControlError.BadEnumValue);
        if (kind > (byte)SessionEventKind.TurnTiming)
        {
            // An event kind from a newer peer: skipped like an unknown record type, so transceivers can be upgraded first.
            r.SkipRecord = true;
            return null;
        }
        return new SessionEventMessage(id, (SessionEventKind)kind, text);
    }

    private ref struct BodyReader(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;
        public ControlError Error { get; private set; }
        /// <summary>Well-formed but of a kind this version does not know: the caller skips the record.</summary>
        public bool SkipRecord { get; set; }

        public T? Fail<T>(ControlError error) where T : class
        {
            Error = error;
            return null;
        }

        public bool TryU8(out byte value)
        {
            value = 0;
            if (_rest.Length < 1) return Truncated();
            value = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public bool TryU16(out ushort value)
        {
            value = 0;
            if (_rest.Length < 2) return Truncated();
            value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
            _rest = _rest[2..];
            return true;
        }

        public bool TryU32(out uint value)
        {
            value = 0;
            if (_rest.Length < 4) return Truncated();
            value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            _rest = _rest[4..];
            return true;
        }

        public bool TryU64(out ulong value)
        {
            value = 0;
            if (_rest.Length < 8) return Truncated();
            value = BinaryPrimitives.ReadUInt64BigEndian(_rest);
            _rest = _rest[8..];
            return true;
        }

        public bool TryString([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            if (!TryU16(out ushort length)) return false;
            if (_rest.Length < length) return Truncated();
            try
            {
                value = StrictUtf8.GetString(_rest[..length]);
            }
            catch (DecoderFallbackException)
            {
                Error = ControlError.BadString;
                return false;
            }
            _rest = _rest[length..];
            return true;
        }

        private bool Truncated()
        {
            Error = ControlError.Truncated;
            return false;
        }
    }

    private ref struct BodyWriter(Span<byte> destination)
    {
        private readonly Span<byte> _dest = destination;
        public int Position { get; private set; }
        public bool Overflow { get; private set; }

        private Span<byte> Take(int n)
        {
            if (Overflow || _dest.Length - Position < n)
            {
                Overflow = true;
                return default;
            }
            var s = _dest.Slice(Position, n);
            Position += n;
            return s;
        }

        public void U8(byte v) { var s = Take(1); if (!Overflow) s[0] = v; }
        public void U16(ushort v) { var s = Take(2); if (!Overflow) BinaryPrimitives.WriteUInt16BigEndian(s, v); }
        public void U32(uint v) { var s = Take(4); if (!Overflow) BinaryPrimitives.WriteUInt32BigEndian(s, v); }
        public void U64(ulong v) { var s = Take(8); if (!Overflow) BinaryPrimitives.WriteUInt64BigEndian(s, v); }

        public void String(string v)
        {
            int n = Encoding.UTF8.GetByteCount(v);
            if (n > ushort.MaxValue)
                throw new ArgumentException("string longer than 65535 UTF-8 bytes");
            U16((ushort)n);
            var s = Take(n);
            if (!Overflow) Encoding.UTF8.GetBytes(v, s);
        }
    }
}
