using System.Buffers.Binary;

namespace EdgeVoice.Tunnel.Control;

public enum ControlReadResult
{
    /// <summary>No whole record buffered yet.</summary>
    NeedMore,
    Message,
    /// <summary>A well-formed record of a type this side does not know; skipped.</summary>
    SkippedUnknown,
    /// <summary>The stream is malformed; the connection must close with the error as reason.</summary>
    Malformed,
}

/// <summary>Reassembles control records from stream bytes as they arrive in any split.</summary>
public sealed class ControlStreamReader
{
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private bool _failed;
    private ControlError _failure;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            int live = _end - _start;
            if (_buffer.Length - live < data.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, live + data.Length));
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
            _start = 0;
            _end = live;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    public ControlReadResult TryRead(out ControlMessage? message, out ControlError error)
    {
        message = null;
        error = ControlError.None;
        if (_failed)
        {
            error = _failure;
            return ControlReadResult.Malformed;
        }
        var live = _buffer.AsSpan(_start, _end - _start);
        if (live.Length < 4)
            return ControlReadResult.NeedMore;
        uint length = BinaryPrimitives.ReadUInt32BigEndian(live);
        if (length > ControlCodec.MaxRecordBodyLength)
            return Fail(ControlError.RecordTooLarge, out error);
        if (live.Length - 4 < length)
            return ControlReadResult.NeedMore;
        var record = live[..(4 + (int)length)];
        _start += record.Length;
        if (!ControlCodec.TryParse(record, out message, out error))
            return Fail(error, out error);
        return message is null ? ControlReadResult.SkippedUnknown : ControlReadResult.Message;
    }

    private ControlReadResult Fail(ControlError reason, out ControlError error)
    {
        _failed = true;
        _failure = reason;
        error = reason;
        return ControlReadResult.Malformed;
    }
}
