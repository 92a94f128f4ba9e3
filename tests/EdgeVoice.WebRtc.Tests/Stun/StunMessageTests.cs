using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.WebRtc.Tests.Stun;

public class StunMessageTests
{
    private const string Rfc5769Password = "VOkJxbRl1RmTxUk/WvJxBt";
    private static readonly byte[] Rfc5769TransactionId = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    // RFC 5769 §2.1: sample request (short-term credentials, SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MI, FINGERPRINT).
    internal static readonly byte[] SampleRequest = Hex(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "80220010" + "5354554e207465737420636c69656e74" +
        "00240004" + "6e0001ff" +
        "80290008" + "932ff9b151263b36" +
        "00060009" + "6576746a3a68367659202020" +
        "00080014" + "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004" + "e57a3bcf");

    // RFC 5769 §2.2: sample IPv4 response.
    internal static readonly byte[] SampleIPv4Response = Hex(
        "0101003c2112a442b7e7a701bc34d686fa87dfae" +
        "8022000b" + "7465737420766563746f7220" +
        "00200008" + "0001a147e112a643" +
        "00080014" + "2b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004" + "c07d4c96");

    // RFC 5769 §2.3: sample IPv6 response.
    internal static readonly byte[] SampleIPv6Response = Hex(
        "010100482112a442b7e7a701bc34d686fa87dfae" +
        "8022000b" + "7465737420766563746f7220" +
        "00200014" + "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014" + "a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004" + "c8fb0b4c");

    // RFC 5769 §2.4: request with long-term authentication (USERNAME, NONCE, REALM, MI; no FINGERPRINT).
    internal static readonly byte[] SampleLongTermRequest = Hex(
        "000100602112a44278ad3433c6ad72c029da412e" +
        "00060012" + "e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c" + "662f2f3439396b39353464364f4c33346f4c394653547679363473" + "41" +
        "0014000b" + "6578616d706c652e6f726700" +
        "00080014" + "f67024656dd64a3e02b8e0712e85c9a28ca89666");

    public static TheoryData<string, byte[], StunClass, int, int> Rfc5769Vectors => new()
    {
        { "request", SampleRequest, StunClass.Request, 76, 100 },
        { "ipv4 response", SampleIPv4Response, StunClass.SuccessResponse, 48, 72 },
        { "ipv6 response", SampleIPv6Response, StunClass.SuccessResponse, 60, 84 },
    };

    [Theory]
    [MemberData(nameof(Rfc5769Vectors))]
    public void Rfc5769_vectors_parse_and_verify(string name, byte[] datagram, StunClass expectedClass, int integrityOffset, int fingerprintOffset)
    {
        Assert.True(StunMessage.TryParse(datagram, out var message, out var error), $"{name}: {error}");
        Assert.Equal(StunError.None, error);
        Assert.Equal(expectedClass, message.Class);
        Assert.Equal(StunMethod.Binding, message.Method);
        Assert.Equal(Rfc5769TransactionId, message.TransactionId.ToArray());
        Assert.Equal(integrityOffset, message.MessageIntegrityOffset);
        Assert.Equal(fingerprintOffset, message.FingerprintOffset);
        Assert.True(message.VerifyIntegrity(Encoding.UTF8.GetBytes(Rfc5769Password)));
        Assert.False(message.VerifyIntegrity("VOkJxbRl1RmTxUk/WvJxBT"u8));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Rfc5769_request_attributes()
    {
        Assert.True(StunMessage.TryParse(SampleRequest, out var message, out _));
        Assert.True(message.IsBindingRequest);
        Assert.Equal("evtj:h6vY", Encoding.UTF8.GetString(message.Username));
        Assert.Equal(0x6e0001ffu, message.Priority);
        Assert.Equal(0x932ff9b151263b36ul, message.IceControlled);
        Assert.Null(message.IceControlling);
        Assert.False(message.UseCandidate);
        Assert.Null(message.XorMappedAddress);
        Assert.Null(message.ErrorCode);
        Assert.Equal(0, message.UnknownComprehensionRequired);
    }

    [Fact]
    public void Rfc5769_ipv4_response_address()
    {
        Assert.True(StunMessage.TryParse(SampleIPv4Response, out var message, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), message.XorMappedAddress!.Value.ToEndPoint());
        Assert.False(message.HasUsername);
    }

    [Fact]
    public void Rfc5769_ipv6_response_address()
    {
        Assert.True(StunMessage.TryParse(SampleIPv6Response, out var message, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853),
            message.XorMappedAddress!.Value.ToEndPoint());
    }

    [Fact]
    public void Rfc5769_long_term_request_verifies_with_md5_key()
    {
        Assert.True(StunMessage.TryParse(SampleLongTermRequest, out var message, out var error), error.ToString());
        Assert.Equal("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", Encoding.UTF8.GetString(message.Username));
        Assert.Equal(-1, message.FingerprintOffset);
        Assert.False(message.VerifyFingerprint());
        // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" SASLprep(password)); "TheMatrIX" is already prepared.
        byte[] key = MD5.HashData(Encoding.UTF8.GetBytes("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9:example.org:TheMatrIX"));
        Assert.True(message.VerifyIntegrity(key));
        key[0] ^= 1;
        Assert.False(message.VerifyIntegrity(key));
    }

    [Fact]
    public void Writer_reproduces_rfc5769_integrity_and_fingerprint()
    {
        Span<byte> buffer = stackalloc byte[128];
        var writer = new StunWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, Rfc5769TransactionId);
        Assert.True(writer.WriteAttribute((ushort)StunAttributeType.Software, "test vector"u8));
        buffer[35] = 0x20; // RFC 5769 pads with spaces; MESSAGE-INTEGRITY covers the padding
        Assert.True(writer.WriteAttribute(new XorMappedAddressAttribute(
            TransportAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853)))));
        Assert.True(writer.WriteMessageIntegrity(Encoding.UTF8.GetBytes(Rfc5769Password)));
        Assert.True(writer.WriteFingerprint());
        Assert.Equal(SampleIPv4Response, buffer[..writer.Length].ToArray());
    }

    [Fact]
    public void Writer_output_matches_independent_implementation()
    {
        // Files written by aioice (python3-aiortc's STUN code) with the same inputs: tests/corpus/stun/valid-aioice-*.bin.
        byte[] transactionId = Enumerable.Range(1, 12).Select(i => (byte)i).ToArray();
        byte[] password = "z3VfM0pQ8sRt5uWx7yAb9cDe"u8.ToArray();
        Span<byte> buffer = stackalloc byte[256];

        int length = StunWriter.WriteBindingRequest(buffer, transactionId, "Xr9pLq2ZmW4tYb7cKd1fGh3j:w8Tq"u8, 1853824767,
            0x0102030405060708, useCandidate: true, password);
        Assert.Equal(Corpus("valid-aioice-request.bin"), buffer[..length].ToArray());

        length = StunWriter.WriteBindingSuccess(buffer, transactionId,
            TransportAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853)), password);
        Assert.Equal(Corpus("valid-aioice-success-ipv4.bin"), buffer[..length].ToArray());

        length = StunWriter.WriteBindingSuccess(buffer, transactionId,
            TransportAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853)), password);
        Assert.Equal(Corpus("valid-aioice-success-ipv6.bin"), buffer[..length].ToArray());

        length = StunWriter.WriteBindingError(buffer, transactionId, ErrorCodeAttribute.RoleConflict, password);
        Assert.Equal(Corpus("valid-aioice-error-487.bin"), buffer[..length].ToArray());
    }

    public static TheoryData<string, byte[], StunError> MalformedInputs()
    {
        byte[] valid = BuildRequest();
        var data = new TheoryData<string, byte[], StunError>
        {
            { "empty", [], StunError.TooShort },
            { "truncated header", valid[..19], StunError.TooShort },
            { "top bits set", With(valid, b => b[0] |= 0x40), StunError.NotStun },
            { "rtp first byte", With(valid, b => b[0] = 0x80), StunError.NotStun },
            { "bad cookie", With(valid, b => b[4] ^= 0xFF), StunError.BadMagicCookie },
            { "length not multiple of 4", With(valid, b => SetLength(b, b.Length - 20 - 2)), StunError.LengthNotMultipleOfFour },
            { "length longer than datagram", With(valid, b => SetLength(b, b.Length - 20 + 4)), StunError.LengthMismatch },
            { "length shorter than datagram", With(valid, b => SetLength(b, b.Length - 20 - 4)), StunError.LengthMismatch },
            { "datagram cut", valid[..(valid.Length - 4)], StunError.LengthMismatch },
            { "attribute length past end", With(valid, b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(22), 0x0400)), StunError.AttributeTruncated },
            { "header only attribute past end", AppendRaw(Header(StunClass.Indication), [0x80, 0x22, 0x00, 0x05]), StunError.AttributeTruncated },
            { "last attribute without padding", AppendRaw(Header(StunClass.Indication), [0x80, 0x22, 0x00, 0x02, 0x61, 0x62, 0x00, 0x00, 0x80, 0x22, 0x00, 0x03, 0x61, 0x62, 0x63]), StunError.LengthNotMultipleOfFour },
            { "value longer than its slot", LastAttributeOverstated(), StunError.AttributeTruncated },
            { "fingerprint not last", AppendRaw(valid, [0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64]), StunError.FingerprintNotLast },
            { "two fingerprints", AppendRaw(valid, valid[^8..]), StunError.FingerprintNotLast },
            { "wrong fingerprint", With(valid, b => b[^1] ^= 1), StunError.FingerprintMismatch },
            { "body bit flip caught by fingerprint", With(valid, b => b[30] ^= 0x10), StunError.FingerprintMismatch },
            { "fingerprint of wrong size", FingerprintOfLength(8), StunError.InvalidAttribute },
            { "integrity of wrong size", WithAttribute(StunAttributeType.MessageIntegrity, new byte[16]), StunError.InvalidAttribute },
            { "priority of wrong size", WithAttribute(StunAttributeType.Priority, new byte[3]), StunError.InvalidAttribute },
            { "use-candidate with a value", WithAttribute(StunAttributeType.UseCandidate, new byte[4]), StunError.InvalidAttribute },
            { "ice-controlling of wrong size", WithAttribute(StunAttributeType.IceControlling, new byte[4]), StunError.InvalidAttribute },
            { "xor address unknown family", WithAttribute(StunAttributeType.XorMappedAddress, [0, 3, 0, 0, 1, 2, 3, 4]), StunError.InvalidAttribute },
            { "xor address ipv6 too short", WithAttribute(StunAttributeType.XorMappedAddress, [0, 2, 0, 0, 1, 2, 3, 4]), StunError.InvalidAttribute },
            { "error code class 7", WithAttribute(StunAttributeType.ErrorCode, [0, 0, 7, 0]), StunError.InvalidAttribute },
            { "error code number 100", WithAttribute(StunAttributeType.ErrorCode, [0, 0, 4, 100]), StunError.InvalidAttribute },
            { "username too long", WithAttribute(StunAttributeType.Username, new byte[520]), StunError.InvalidAttribute },
            { "binding request without username", RequestWithout(StunAttributeType.Username), StunError.MissingUsername },
            { "binding request without integrity", RequestWithout(StunAttributeType.MessageIntegrity), StunError.MissingIntegrity },
            { "bare binding request", Header(StunClass.Request), StunError.MissingUsername },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Malformed_input_is_rejected_with_its_error(string name, byte[] datagram, StunError expected)
    {
        Assert.False(StunMessage.TryParse(datagram, out _, out var error), name);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Duplicate_attributes_first_wins()
    {
        Span<byte> buffer = stackalloc byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute("first:one"u8));
        writer.WriteAttribute(new PriorityAttribute(7));
        writer.WriteAttribute(new UsernameAttribute("second:two"u8));
        writer.WriteAttribute(new PriorityAttribute(9));
        writer.WriteMessageIntegrity("key"u8);
        writer.WriteFingerprint();
        Assert.True(StunMessage.TryParse(buffer[..writer.Length], out var message, out _));
        Assert.Equal("first:one", Encoding.UTF8.GetString(message.Username));
        Assert.Equal(7u, message.Priority);
        Assert.True(message.TryGetAttribute(out PriorityAttribute priority));
        Assert.Equal(7u, priority.Value);
    }

    [Fact]
    public void Attributes_after_integrity_are_ignored_but_fingerprint_counts()
    {
        Span<byte> buffer = stackalloc byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute("a:b"u8));
        writer.WriteMessageIntegrity("key"u8);
        writer.WriteAttribute(new UseCandidateAttribute());
        writer.WriteAttribute(new PriorityAttribute(5));
        writer.WriteAttribute(new ErrorCodeAttribute(999, default)); // invalid, but ignored after MI
        writer.WriteFingerprint();
        Assert.True(StunMessage.TryParse(buffer[..writer.Length], out var message, out var error), error.ToString());
        Assert.False(message.UseCandidate);
        Assert.Null(message.Priority);
        Assert.False(message.TryGetAttribute(out PriorityAttribute _));
        Assert.True(message.VerifyIntegrity("key"u8));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Unknown_comprehension_required_attribute_is_reported_and_optional_one_is_not()
    {
        Span<byte> buffer = stackalloc byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute("a:b"u8));
        writer.WriteAttribute(0xC057, [0, 1, 0, 10]);
        writer.WriteAttribute(0x0077, [1, 2]);
        writer.WriteAttribute(0x0078, [1, 2]);
        writer.WriteMessageIntegrity("key"u8);
        Assert.True(StunMessage.TryParse(buffer[..writer.Length], out var message, out _));
        Assert.Equal(0x0077, message.UnknownComprehensionRequired);
    }

    [Fact]
    public void Round_trip_write_parse()
    {
        var random = new Random(5769);
        Span<byte> buffer = stackalloc byte[600];
        for (int i = 0; i < 500; i++)
        {
            byte[] transactionId = new byte[12];
            random.NextBytes(transactionId);
            byte[] key = new byte[random.Next(1, 80)];
            random.NextBytes(key);
            byte[] username = new byte[random.Next(1, 300)];
            random.NextBytes(username);
            uint priority = (uint)random.NextInt64(0, uint.MaxValue + 1L);
            ulong tieBreaker = (ulong)random.NextInt64();
            bool nominate = random.Next(2) == 0;
            int length = StunWriter.WriteBindingRequest(buffer, transactionId, username, priority, tieBreaker, nominate, key);
            Assert.True(StunMessage.TryParse(buffer[..length], out var request, out var error), error.ToString());
            Assert.True(request.IsBindingRequest);
            Assert.Equal(transactionId, request.TransactionId.ToArray());
            Assert.Equal(username, request.Username.ToArray());
            Assert.Equal(priority, request.Priority);
            Assert.Equal(tieBreaker, request.IceControlling);
            Assert.Equal(nominate, request.UseCandidate);
            Assert.True(request.VerifyIntegrity(key));
            Assert.True(request.VerifyFingerprint());

            byte[] address = new byte[random.Next(2) == 0 ? 4 : 16];
            random.NextBytes(address);
            if (address.Length == 16 && address[..12].SequenceEqual(IPv4MappedPrefix))
                address[0] = 0x20; // an IPv4-mapped IPv6 address would come back as IPv4
            ushort port = (ushort)random.Next(65536);
            var mapped = address.Length == 4 ? TransportAddress.FromIPv4(address, port) : TransportAddress.FromIPv6(address, port);
            length = StunWriter.WriteBindingSuccess(buffer, transactionId, mapped, key);
            Assert.True(StunMessage.TryParse(buffer[..length], out var response, out error), error.ToString());
            Assert.Equal(StunClass.SuccessResponse, response.Class);
            Assert.Equal(mapped, response.XorMappedAddress);
            Assert.True(response.VerifyIntegrity(key));

            int code = random.Next(3, 7) * 100 + random.Next(100);
            length = StunWriter.WriteBindingError(buffer, transactionId, code, random.Next(2) == 0 ? key : default);
            Assert.True(StunMessage.TryParse(buffer[..length], out var failure, out error), error.ToString());
            Assert.Equal(StunClass.ErrorResponse, failure.Class);
            Assert.Equal(code, failure.ErrorCode);
        }
    }

    private static readonly byte[] IPv4MappedPrefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];

    [Fact]
    public void Writer_reports_a_buffer_too_small_instead_of_throwing()
    {
        byte[] transactionId = new byte[12];
        var address = TransportAddress.FromIPv4([127, 0, 0, 1], 5000);
        int full = StunWriter.WriteBindingSuccess(new byte[256], transactionId, address, "key"u8);
        Assert.Equal(20 + 12 + 24 + 8, full);
        for (int size = 0; size < full; size++)
            Assert.Equal(0, StunWriter.WriteBindingSuccess(new byte[size], transactionId, address, "key"u8));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20261125);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] datagram = new byte[random.Next(0, 200)];
            random.NextBytes(datagram);
            if (i % 2 == 0 && datagram.Length >= 20)
            {
                // Make half of them look like STUN so the attribute walk is exercised, not only the header checks.
                datagram[0] &= 0x3F;
                BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(4), StunMessage.MagicCookie);
                SetLength(datagram, (datagram.Length - 20) & ~3);
                Array.Resize(ref datagram, 20 + ((datagram.Length - 20) & ~3));
            }
            if (StunMessage.TryParse(datagram, out var message, out _))
            {
                parsed++;
                Exercise(message);
            }
        }
        Assert.True(parsed > 0);
    }

    [Fact]
    public void Mutated_valid_messages_never_throw()
    {
        var random = new Random(8489);
        byte[][] seeds = [BuildRequest(), SampleRequest, SampleIPv4Response, SampleIPv6Response, SampleLongTermRequest];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] datagram = (byte[])seeds[i % seeds.Length].Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
                datagram[random.Next(datagram.Length)] ^= (byte)(1 << random.Next(8));
            if (random.Next(4) == 0)
                datagram = datagram[..random.Next(datagram.Length)];
            if (StunMessage.TryParse(datagram, out var message, out _))
                Exercise(message);
        }
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus", "stun"), "*.bin").Order())
            data.Add(Path.GetFileName(path));
        return data;
    }

    /// <summary>valid-*.bin must parse; invalid-&lt;StunError&gt;-*.bin must fail with that error.</summary>
    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_replays(string file)
    {
        byte[] datagram = Corpus(file);
        bool ok = StunMessage.TryParse(datagram, out var message, out var error);
        if (file.StartsWith("valid-", StringComparison.Ordinal))
        {
            Assert.True(ok, error.ToString());
            Exercise(message);
        }
        else
        {
            Assert.StartsWith("invalid-", file);
            Assert.False(ok);
            Assert.Equal(Enum.Parse<StunError>(file.Split('-')[1]), error);
        }
    }

    [Fact]
    public void Corpus_has_the_interesting_cases()
    {
        Assert.True(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus", "stun"), "*.bin").Length >= 10);
        byte[] datagram = Corpus("valid-attribute-after-integrity-ignored.bin");
        Assert.True(StunMessage.TryParse(datagram, out var message, out _));
        Assert.True(message.VerifyIntegrity("z3VfM0pQ8sRt5uWx7yAb9cDe"u8));
    }

    [Fact]
    public void Parse_and_verify_allocate_nothing()
    {
        byte[] datagram = BuildRequest();
        byte[] key = "password-password-1234"u8.ToArray();
        for (int i = 0; i < 100; i++)
            ParseAndVerify(datagram, key);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Assert.True(ParseAndVerify(datagram, key));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static bool ParseAndVerify(byte[] datagram, byte[] key) =>
        StunMessage.TryParse(datagram, out var message, out _) && message.VerifyIntegrity(key) && message.VerifyFingerprint()
        && message.Priority == 42 && message.UseCandidate && message.IceControlling == 77;

    // Reads every accessor so a parsed-but-inconsistent message would throw here.
    private static void Exercise(in StunMessage message)
    {
        _ = message.Class;
        _ = message.Method;
        _ = message.TransactionId.Length;
        _ = message.Username.Length;
        _ = message.Priority;
        _ = message.UseCandidate;
        _ = message.IceControlling;
        _ = message.IceControlled;
        _ = message.XorMappedAddress;
        _ = message.ErrorCode;
        _ = message.ErrorReason.Length;
        _ = message.VerifyIntegrity("key"u8);
        _ = message.VerifyFingerprint();
        _ = message.TryGetAttribute(out UsernameAttribute _);
        _ = message.TryGetAttribute(out XorMappedAddressAttribute _);
        _ = message.TryGetAttribute(out ErrorCodeAttribute _);
        _ = message.TryGetAttribute(out UnknownAttributesAttribute _);
    }

    internal static byte[] BuildRequest()
    {
        var buffer = new byte[256];
        int length = StunWriter.WriteBindingRequest(buffer, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, "relay:client"u8,
            42, 77, useCandidate: true, "password-password-1234"u8);
        return buffer[..length];
    }

    private static byte[] Header(StunClass messageClass)
    {
        var buffer = new byte[20];
        var writer = new StunWriter(buffer, messageClass, StunMethod.Binding, new byte[12]);
        return buffer[..writer.Length];
    }

    private static byte[] AppendRaw(byte[] message, byte[] tail)
    {
        byte[] result = [.. message, .. tail];
        SetLength(result, result.Length - 20);
        return result;
    }

    // The last attribute claims 5 bytes where only its 4-byte slot remains.
    private static byte[] LastAttributeOverstated() =>
        AppendRaw(Header(StunClass.Indication), [0x80, 0x22, 0x00, 0x05, 1, 2, 3, 4]);

    private static byte[] FingerprintOfLength(int length)
    {
        byte[] message = Header(StunClass.Indication);
        return AppendRaw(message, [0x80, 0x28, 0x00, (byte)length, .. new byte[length]]);
    }

    private static byte[] WithAttribute(StunAttributeType type, byte[] value)
    {
        byte[] padded = [.. value, .. new byte[(4 - value.Length % 4) % 4]];
        return AppendRaw(Header(StunClass.Indication), [(byte)((ushort)type >> 8), (byte)type, (byte)(value.Length >> 8), (byte)value.Length, .. padded]);
    }

    private static byte[] RequestWithout(StunAttributeType omitted)
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        if (omitted != StunAttributeType.Username)
            writer.WriteAttribute(new UsernameAttribute("a:b"u8));
        writer.WriteAttribute(new PriorityAttribute(1));
        if (omitted != StunAttributeType.MessageIntegrity)
            writer.WriteMessageIntegrity("key"u8);
        writer.WriteFingerprint();
        return buffer[..writer.Length];
    }

    private static byte[] With(byte[] source, Action<byte[]> change)
    {
        byte[] copy = (byte[])source.Clone();
        change(copy);
        return copy;
    }

    private static void SetLength(byte[] message, int length) =>
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)length);

    internal static byte[] Corpus(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", "stun", file));

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
