using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Tests.Dtls;

public class DtlsRecordTests
{
    // A DTLS 1.2 handshake record, epoch 0, sequence 0x0000_0102_0304, 4-byte fragment.
    private static readonly byte[] HandshakeRecord = [22, 0xFE, 0xFD, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x04, 0xAA, 0xBB, 0xCC, 0xDD];

    [Fact]
    public void ParsesAHandBuiltHeader()
    {
        Assert.True(DtlsRecordHeader.TryParse(HandshakeRecord, out DtlsRecordHeader header, out DtlsError error));
        Assert.Equal(DtlsError.None, error);
        Assert.Equal(DtlsContentType.Handshake, header.ContentType);
        Assert.Equal(DtlsRecordHeader.VersionDtls12, header.Version);
        Assert.Equal(0, header.Epoch);
        Assert.Equal(0x0102_0304UL, header.SequenceNumber);
        Assert.Equal(4, header.Length);
    }

    [Fact]
    public void ReadsTheFull48BitSequenceAndDtls10Version()
    {
        byte[] record = [21, 0xFE, 0xFF, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x00, 0x02, 0x01, 0x00];
        Assert.True(DtlsRecordHeader.TryParse(record, out DtlsRecordHeader header, out _));
        Assert.Equal(DtlsContentType.Alert, header.ContentType);
        Assert.Equal(DtlsRecordHeader.VersionDtls10, header.Version);
        Assert.Equal(1, header.Epoch);
        Assert.Equal(DtlsRecordHeader.MaxSequenceNumber - 1, header.SequenceNumber);
    }

    [Fact]
    public void IteratesOverEveryRecordOfADatagram()
    {
        byte[] second = [20, 0xFE, 0xFD, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 0x01];
        byte[] datagram = [.. HandshakeRecord, .. second];
        var records = new DtlsRecordIterator(datagram);
        Assert.True(records.TryNext(out DtlsRecordHeader first, out ReadOnlySpan<byte> fragment));
        Assert.Equal(DtlsContentType.Handshake, first.ContentType);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC, 0xDD }, fragment.ToArray());
        Assert.True(records.TryNext(out DtlsRecordHeader next, out fragment));
        Assert.Equal(DtlsContentType.ChangeCipherSpec, next.ContentType);
        Assert.Equal(9UL, next.SequenceNumber);
        Assert.Equal(new byte[] { 1 }, fragment.ToArray());
        Assert.False(records.TryNext(out _, out _));
        Assert.Equal(DtlsError.None, records.Error);
        Assert.Equal(2, DtlsRecord.CountRecords(datagram));
        Assert.True(DtlsRecord.IsWellFormed(datagram, out _));
    }

    [Fact]
    public void IteratorStopsAtAMalformedTrailingRecord()
    {
        byte[] datagram = [.. HandshakeRecord, 22, 0xFE, 0xFD, 0x00];
        var records = new DtlsRecordIterator(datagram);
        Assert.True(records.TryNext(out _, out _));
        Assert.False(records.TryNext(out _, out _));
        Assert.Equal(DtlsError.TruncatedHeader, records.Error);
        Assert.Equal(-1, DtlsRecord.CountRecords(datagram));
        Assert.False(DtlsRecord.IsWellFormed(datagram, out DtlsError error));
        Assert.Equal(DtlsError.TruncatedHeader, error);
    }

    public static TheoryData<string, byte[], DtlsError> Malformed => new()
    {
        { "empty", [], DtlsError.TruncatedHeader },
        { "one byte", [22], DtlsError.TruncatedHeader },
        { "12-byte header", [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0], DtlsError.TruncatedHeader },
        { "length one past end", [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xAA], DtlsError.LengthPastEnd },
        { "length 0xFFFF", [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3], DtlsError.LengthPastEnd },
        { "content type 19", [19, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], DtlsError.BadContentType },
        { "content type 26", [26, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], DtlsError.BadContentType },
        { "STUN-looking first byte", [0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0], DtlsError.BadContentType },
        { "TLS 1.2 version", [22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], DtlsError.BadVersion },
        { "DTLS 1.3 version number", [22, 0xFE, 0xFC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], DtlsError.BadVersion },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void RejectsMalformedRecords(string name, byte[] datagram, DtlsError expected)
    {
        Assert.False(DtlsRecordHeader.TryParse(datagram, out _, out DtlsError error), name);
        Assert.Equal(expected, error);
        Assert.False(DtlsRecord.IsWellFormed(datagram, out _));
    }

    [Theory]
    [InlineData((byte)DtlsContentType.ApplicationData, 0, false)]
    [InlineData((byte)DtlsContentType.ApplicationData, 1, true)]
    [InlineData((byte)DtlsContentType.Heartbeat, 1, false)]
    [InlineData((byte)DtlsContentType.Tls12Cid, 1, false)]
    [InlineData((byte)DtlsContentType.Handshake, 0, true)]
    [InlineData((byte)DtlsContentType.Alert, 0, true)]
    public void PeerPolicyDropsRecordsWebRtcNeverSends(byte contentType, ushort epoch, bool acceptable)
    {
        byte[] record = new byte[DtlsRecordHeader.Size + 2];
        new DtlsRecordHeader((DtlsContentType)contentType, DtlsRecordHeader.VersionDtls12, epoch, 5, 2).WriteTo(record);
        Assert.True(DtlsRecord.IsWellFormed(record, out _));
        Assert.Equal(acceptable, DtlsRecord.IsAcceptableFromPeer(record, out DtlsError error));
        Assert.Equal(acceptable ? DtlsError.None : DtlsError.UnexpectedRecord, error);
    }

    [Fact]
    public void WriteToRefusesAShortBuffer()
    {
        var header = new DtlsRecordHeader(DtlsContentType.Handshake, DtlsRecordHeader.VersionDtls12, 0, 0, 0);
        Assert.Equal(0, header.WriteTo(new byte[12]));
        Assert.Equal(13, header.WriteTo(new byte[13]));
    }

    [Fact]
    public void RandomBytesNeverThrowAndParsedHeadersRoundTrip()
    {
        var random = new Random(6347);
        int parsed = 0;
        for (int i = 0; i < 5000; i++)
        {
            byte[] datagram = new byte[random.Next(0, 64)];
            random.NextBytes(datagram);
            // Bias a third of the cases towards plausible headers so the accepting path is exercised too.
            if (i % 3 == 0 && datagram.Length >= 3)
            {
                datagram[0] = (byte)random.Next(18, 28);
                datagram[1] = 0xFE;
                datagram[2] = (byte)(random.Next(2) == 0 ? 0xFD : 0xFF);
                if (datagram.Length >= 13)
                {
                    datagram[11] = 0;
                    datagram[12] = (byte)random.Next(0, datagram.Length);
                }
            }
            _ = DtlsRecord.IsWellFormed(datagram, out _);
            _ = DtlsRecord.IsAcceptableFromPeer(datagram, out _);
            _ = DtlsRecord.CountRecords(datagram);
            if (!DtlsRecordHeader.TryParse(datagram, out DtlsRecordHeader header, out DtlsError error))
            {
                Assert.NotEqual(DtlsError.None, error);
                continue;
            }
            parsed++;
            byte[] written = new byte[DtlsRecordHeader.Size + header.Length];
            Assert.Equal(DtlsRecordHeader.Size, header.WriteTo(written));
            Assert.Equal(datagram.AsSpan(0, DtlsRecordHeader.Size).ToArray(), written.AsSpan(0, DtlsRecordHeader.Size).ToArray());
            Assert.True(DtlsRecordHeader.TryParse(written, out DtlsRecordHeader again, out _));
            Assert.Equal(header, again);
        }
        Assert.True(parsed > 100, $"only {parsed} random datagrams parsed");
    }

    [Fact]
    public void CorpusInputsNeverThrow()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "corpus", "dtls");
        string[] files = Directory.GetFiles(folder, "*.bin");
        Assert.NotEmpty(files);
        var server = new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint);
        foreach (string file in files)
        {
            byte[] datagram = File.ReadAllBytes(file);
            _ = DtlsRecord.IsWellFormed(datagram, out _);
            _ = DtlsRecord.CountRecords(datagram);
            server.HandleInput(datagram, TimeSpan.Zero);
        }
        server.Close();
        Assert.True(DtlsLink.WaitForWorkersToEnd([server]));
    }
}
