using System.Net;
using System.Text;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.WebRtc.Tests.Ice;

public class IceLiteAgentTests
{
    private const string LocalPassword = "Rl7pQw2ZxV9sKd4tYb6cMn8f";
    private const string RemoteUfrag = "cL1e";
    private static readonly string LocalUfrag = UfragToken.Mint(0x5E55_1011, UfragTokenTests.Secret);
    private static readonly TransportAddress Client = Address("192.0.2.10", 50000);
    private static readonly TransportAddress ClientAfterNatRebind = Address("192.0.2.10", 50001);
    private static readonly TransportAddress ClientIPv6 = Address("2001:db8::10", 50000);

    /// <summary>A controlling peer (the browser's role) that sends checks and verifies the agent's answers.</summary>
    private sealed class TestPeer(string username, string password)
    {
        private readonly byte[] _username = Encoding.ASCII.GetBytes(username);
        private readonly byte[] _password = Encoding.ASCII.GetBytes(password);
        private int _transactions;
        public byte[] LastTransactionId { get; private set; } = new byte[12];

        public byte[] Check(bool nominate, uint priority = 0x6E0001FF)
        {
            LastTransactionId = NextTransactionId();
            var buffer = new byte[256];
            int length = StunWriter.WriteBindingRequest(buffer, LastTransactionId, _username, priority, 0x1122334455667788, nominate, _password);
            return buffer[..length];
        }

        public byte[] NextTransactionId()
        {
            byte[] id = new byte[12];
            BitConverter.TryWriteBytes(id, ++_transactions);
            return id;
        }

        /// <summary>What a browser checks in a success response: class, transaction, MI under the agent's password, FINGERPRINT, mapped address.</summary>
        public void AssertSuccess(ReadOnlySpan<byte> response, TransportAddress expectedMapped)
        {
            Assert.True(StunMessage.TryParse(response, out var message, out var error), error.ToString());
            Assert.Equal(StunClass.SuccessResponse, message.Class);
            Assert.Equal(StunMethod.Binding, message.Method);
            Assert.Equal(LastTransactionId, message.TransactionId.ToArray());
            Assert.True(message.VerifyIntegrity(_password));
            Assert.True(message.VerifyFingerprint());
            Assert.Equal(expectedMapped, message.XorMappedAddress);
        }

        public void AssertError(ReadOnlySpan<byte> response, int code)
        {
            Assert.True(StunMessage.TryParse(response, out var message, out var error), error.ToString());
            Assert.Equal(StunClass.ErrorResponse, message.Class);
            Assert.Equal(LastTransactionId, message.TransactionId.ToArray());
            Assert.Equal(code, message.ErrorCode);
            Assert.True(message.VerifyIntegrity(_password));
            Assert.True(message.VerifyFingerprint());
        }
    }

    private static TestPeer Browser() => new($"{LocalUfrag}:{RemoteUfrag}", LocalPassword);

    private static IceLiteAgent NewAgent(TimeSpan now = default) => new(LocalUfrag, LocalPassword, RemoteUfrag, now);

    private static IceCheckResult Deliver(IceLiteAgent agent, byte[] datagram, TransportAddress from, TimeSpan now, out byte[] response)
    {
        var buffer = new byte[1500];
        Assert.True(StunMessage.TryParse(datagram, out var request, out var error), error.ToString());
        var result = agent.HandleBindingRequest(request, from, now, buffer, out int length);
        response = buffer[..length];
        return result;
    }

    private static List<IceEvent> Events(IceLiteAgent agent)
    {
        var events = new List<IceEvent>();
        while (agent.TryPollEvent(out var e))
            events.Add(e);
        return events;
    }

    /// <summary>Advances the virtual clock in steps, running the agent's timers as the relay's loop would.</summary>
    private static TimeSpan Advance(IceLiteAgent agent, TimeSpan now, TimeSpan by)
    {
        TimeSpan end = now + by;
        while (agent.NextTimeout is { } due && due <= end)
        {
            agent.HandleTimeout(due);
            now = due;
            if (agent.NextTimeout == due)
                break;
        }
        return end;
    }

    [Fact]
    public void Check_is_answered_with_a_response_the_browser_accepts()
    {
        var agent = NewAgent();
        var browser = Browser();
        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: false), Client, TimeSpan.FromMilliseconds(10), out byte[] response));
        browser.AssertSuccess(response, Client);
        Assert.Equal(IceState.New, agent.State);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Ipv6_sender_gets_its_address_back()
    {
        var agent = NewAgent();
        var browser = Browser();
        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: true), ClientIPv6, TimeSpan.Zero, out byte[] response));
        browser.AssertSuccess(response, ClientIPv6);
    }

    [Fact]
    public void Use_candidate_connects_once()
    {
        var agent = NewAgent();
        var browser = Browser();
        TimeSpan now = TimeSpan.FromSeconds(1);
        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: true), Client, now, out byte[] response));
        browser.AssertSuccess(response, Client);
        Assert.Equal([new IceEvent(IceEventKind.Connected, Client)], Events(agent));
        Assert.Equal(IceState.Connected, agent.State);
        Assert.Equal(Client, agent.SelectedRemote);

        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: true), Client, now + TimeSpan.FromSeconds(1), out _));
        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: false), Client, now + TimeSpan.FromSeconds(2), out _));
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Wrong_integrity_is_dropped_without_an_answer()
    {
        var agent = NewAgent();
        var impostor = new TestPeer($"{LocalUfrag}:{RemoteUfrag}", "Wrong7pQw2ZxV9sKd4tYb6cM");
        Assert.Equal(IceCheckResult.IntegrityMismatch, Deliver(agent, impostor.Check(nominate: true), Client, TimeSpan.Zero, out byte[] response));
        Assert.Empty(response);
        Assert.Equal(IceState.New, agent.State);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Tampered_request_fails_integrity()
    {
        var agent = NewAgent();
        byte[] check = Browser().Check(nominate: false, priority: 1000);
        // Change PRIORITY and repair the FINGERPRINT so only MESSAGE-INTEGRITY can notice.
        Assert.True(StunMessage.TryParse(check, out var parsed, out _));
        int priorityValue = check.AsSpan().IndexOf(new byte[] { 0x00, 0x24, 0x00, 0x04 }) + 4;
        check[priorityValue + 3] ^= 1;
        int fingerprint = parsed.FingerprintOffset;
        RepairFingerprint(check, fingerprint);
        Assert.Equal(IceCheckResult.IntegrityMismatch, Deliver(agent, check, Client, TimeSpan.Zero, out byte[] response));
        Assert.Empty(response);
    }

    [Theory]
    [InlineData("{0}:xxxx")] // another client's ufrag
    [InlineData("cL1e:{0}")] // parts swapped
    [InlineData("{0}:")]
    [InlineData("{0}:cL1e ")]
    [InlineData("{0}")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAA:cL1e")] // another session's ufrag
    public void Wrong_username_is_dropped(string usernameFormat)
    {
        var agent = NewAgent();
        var peer = new TestPeer(string.Format(usernameFormat, LocalUfrag), LocalPassword);
        Assert.Equal(IceCheckResult.UsernameMismatch, Deliver(agent, peer.Check(nominate: true), Client, TimeSpan.Zero, out byte[] response));
        Assert.Empty(response);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Check_without_fingerprint_is_dropped()
    {
        var agent = NewAgent();
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute(Encoding.ASCII.GetBytes($"{LocalUfrag}:{RemoteUfrag}")));
        writer.WriteAttribute(new PriorityAttribute(1));
        writer.WriteAttribute(new UseCandidateAttribute());
        writer.WriteMessageIntegrity(Encoding.ASCII.GetBytes(LocalPassword));
        Assert.Equal(IceCheckResult.MissingFingerprint, Deliver(agent, buffer[..writer.Length], Client, TimeSpan.Zero, out byte[] response));
        Assert.Empty(response);
        Assert.Equal(IceState.New, agent.State);
    }

    [Fact]
    public void Peer_claiming_controlled_gets_487_and_no_state()
    {
        var agent = NewAgent();
        var browser = Browser();
        byte[] transactionId = browser.NextTransactionId();
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, transactionId);
        writer.WriteAttribute(new UsernameAttribute(Encoding.ASCII.GetBytes($"{LocalUfrag}:{RemoteUfrag}")));
        writer.WriteAttribute(new PriorityAttribute(1));
        writer.WriteAttribute(new IceControlledAttribute(ulong.MaxValue));
        writer.WriteAttribute(new UseCandidateAttribute());
        writer.WriteMessageIntegrity(Encoding.ASCII.GetBytes(LocalPassword));
        writer.WriteFingerprint();
        Assert.Equal(IceCheckResult.RoleConflict, Deliver(agent, buffer[..writer.Length], Client, TimeSpan.Zero, out byte[] response));
        Assert.True(StunMessage.TryParse(response, out var message, out _));
        Assert.Equal(487, message.ErrorCode);
        Assert.Equal("Role Conflict", Encoding.UTF8.GetString(message.ErrorReason));
        Assert.True(message.VerifyIntegrity(Encoding.ASCII.GetBytes(LocalPassword)));
        Assert.Equal(transactionId, message.TransactionId.ToArray());
        Assert.Equal(IceState.New, agent.State);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Authenticated_check_without_priority_gets_400()
    {
        var agent = NewAgent();
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute(Encoding.ASCII.GetBytes($"{LocalUfrag}:{RemoteUfrag}")));
        writer.WriteAttribute(new IceControllingAttribute(1));
        writer.WriteMessageIntegrity(Encoding.ASCII.GetBytes(LocalPassword));
        writer.WriteFingerprint();
        Assert.Equal(IceCheckResult.BadRequest, Deliver(agent, buffer[..writer.Length], Client, TimeSpan.Zero, out byte[] response));
        Assert.True(StunMessage.TryParse(response, out var message, out _));
        Assert.Equal(400, message.ErrorCode);
        Assert.True(message.VerifyIntegrity(Encoding.ASCII.GetBytes(LocalPassword)));
    }

    [Fact]
    public void Authenticated_check_with_unknown_required_attribute_gets_420()
    {
        var agent = NewAgent();
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunClass.Request, StunMethod.Binding, new byte[12]);
        writer.WriteAttribute(new UsernameAttribute(Encoding.ASCII.GetBytes($"{LocalUfrag}:{RemoteUfrag}")));
        writer.WriteAttribute(new PriorityAttribute(1));
        writer.WriteAttribute(0x0077, [1, 2, 3, 4]);
        writer.WriteMessageIntegrity(Encoding.ASCII.GetBytes(LocalPassword));
        writer.WriteFingerprint();
        Assert.Equal(IceCheckResult.UnknownAttribute, Deliver(agent, buffer[..writer.Length], Client, TimeSpan.Zero, out byte[] response));
        Assert.True(StunMessage.TryParse(response, out var message, out _));
        Assert.Equal(420, message.ErrorCode);
        Assert.True(message.TryGetAttribute(out UnknownAttributesAttribute unknown));
        Assert.Equal(0x0077, unknown.AttributeType);
    }

    [Fact]
    public void Responses_and_indications_are_not_checks()
    {
        var agent = NewAgent();
        Assert.True(StunMessage.TryParse(Tests.Stun.StunMessageTests.SampleIPv4Response, out var response, out _));
        Assert.Equal(IceCheckResult.NotBindingRequest, agent.HandleBindingRequest(response, Client, TimeSpan.Zero, new byte[256], out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void Consent_checks_every_5_seconds_keep_the_session_for_60_seconds()
    {
        var agent = NewAgent();
        var browser = Browser();
        TimeSpan now = TimeSpan.Zero;
        Deliver(agent, browser.Check(nominate: true), Client, now, out _);
        Assert.Equal(IceEventKind.Connected, Assert.Single(Events(agent)).Kind);
        for (int i = 0; i < 12; i++)
        {
            now = Advance(agent, now, TimeSpan.FromSeconds(5));
            Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: false), Client, now, out byte[] response));
            browser.AssertSuccess(response, Client);
            Assert.Equal(now + TimeSpan.FromSeconds(30), agent.NextTimeout);
        }
        Assert.Equal(TimeSpan.FromSeconds(60), now);
        Assert.Equal(IceState.Connected, agent.State);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Consent_expires_30_seconds_after_the_last_check()
    {
        var agent = NewAgent();
        var browser = Browser();
        TimeSpan now = TimeSpan.Zero;
        Deliver(agent, browser.Check(nominate: true), Client, now, out _);
        now = Advance(agent, now, TimeSpan.FromSeconds(5));
        Deliver(agent, browser.Check(nominate: false), Client, now, out _);
        Events(agent);

        now = Advance(agent, now, TimeSpan.FromSeconds(29.999));
        Assert.Equal(IceState.Connected, agent.State);
        Assert.Empty(Events(agent));
        now = Advance(agent, now, TimeSpan.FromMilliseconds(1));
        Assert.Equal(TimeSpan.FromSeconds(35), now);
        Assert.Equal(IceState.Expired, agent.State);
        Assert.Equal([new IceEvent(IceEventKind.ConsentExpired, Client)], Events(agent));
        Assert.Null(agent.NextTimeout);

        Assert.Equal(IceCheckResult.Closed, Deliver(agent, browser.Check(nominate: true), Client, now, out byte[] response));
        Assert.Empty(response);
        Assert.Empty(Events(agent));
    }

    [Fact]
    public void Checks_on_another_pair_do_not_refresh_consent()
    {
        var agent = NewAgent();
        var browser = Browser();
        Deliver(agent, browser.Check(nominate: true), Client, TimeSpan.Zero, out _);
        Events(agent);
        for (int s = 5; s <= 30; s += 5)
            Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: false), ClientAfterNatRebind, TimeSpan.FromSeconds(s), out _));
        agent.HandleTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(IceState.Expired, agent.State);
    }

    [Fact]
    public void Session_that_never_connects_times_out()
    {
        TimeSpan created = TimeSpan.FromSeconds(100);
        var agent = NewAgent(created);
        var browser = Browser();
        Assert.Equal(created + TimeSpan.FromSeconds(30), agent.NextTimeout);
        // Valid but never nominated checks do not connect the session.
        Deliver(agent, browser.Check(nominate: false), Client, created + TimeSpan.FromSeconds(10), out _);
        agent.HandleTimeout(created + TimeSpan.FromSeconds(29));
        Assert.Equal(IceState.New, agent.State);
        TimeSpan now = Advance(agent, created + TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(1));
        Assert.Equal(IceState.Failed, agent.State);
        Assert.Equal(IceEventKind.ConnectTimedOut, Assert.Single(Events(agent)).Kind);
        Assert.Null(agent.NextTimeout);
        Assert.Equal(IceCheckResult.Closed, Deliver(agent, browser.Check(nominate: true), Client, now, out _));
    }

    [Fact]
    public void Nominated_check_from_a_new_address_moves_the_session()
    {
        var agent = NewAgent();
        var browser = Browser();
        Deliver(agent, browser.Check(nominate: true), Client, TimeSpan.Zero, out _);
        Assert.Equal([new IceEvent(IceEventKind.Connected, Client)], Events(agent));

        // A plain check from the new address is answered but does not move the session.
        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: false), ClientAfterNatRebind, TimeSpan.FromSeconds(1), out byte[] response));
        browser.AssertSuccess(response, ClientAfterNatRebind);
        Assert.Empty(Events(agent));

        Assert.Equal(IceCheckResult.Accepted, Deliver(agent, browser.Check(nominate: true), ClientAfterNatRebind, TimeSpan.FromSeconds(2), out response));
        browser.AssertSuccess(response, ClientAfterNatRebind);
        Assert.Equal([new IceEvent(IceEventKind.RemoteAddressChanged, ClientAfterNatRebind)], Events(agent));
        Assert.Equal(ClientAfterNatRebind, agent.SelectedRemote);

        // Consent now follows the new address.
        Deliver(agent, browser.Check(nominate: false), ClientAfterNatRebind, TimeSpan.FromSeconds(20), out _);
        agent.HandleTimeout(TimeSpan.FromSeconds(40));
        Assert.Equal(IceState.Connected, agent.State);
    }

    [Fact]
    public void Unpolled_address_changes_coalesce_to_the_newest()
    {
        var agent = NewAgent();
        var browser = Browser();
        Deliver(agent, browser.Check(nominate: true), Client, TimeSpan.Zero, out _);
        Deliver(agent, browser.Check(nominate: true), ClientAfterNatRebind, TimeSpan.FromSeconds(1), out _);
        Deliver(agent, browser.Check(nominate: true), ClientIPv6, TimeSpan.FromSeconds(2), out _);
        Assert.Equal([new IceEvent(IceEventKind.Connected, ClientIPv6)], Events(agent));
        for (int i = 0; i < 10; i++)
            Deliver(agent, browser.Check(nominate: true), i % 2 == 0 ? Client : ClientAfterNatRebind, TimeSpan.FromSeconds(3 + i), out _);
        Assert.Equal([new IceEvent(IceEventKind.RemoteAddressChanged, ClientAfterNatRebind)], Events(agent));
    }

    [Fact]
    public void Relay_loop_routes_by_token_and_drops_forgeries_before_lookup()
    {
        // The relay's UDP loop in miniature: only a verified token reaches the session table.
        var sessions = new Dictionary<ulong, IceLiteAgent> { [0x5E55_1011] = NewAgent() };
        int lookups = 0;
        IceCheckResult? Receive(byte[] datagram, out byte[] response)
        {
            response = [];
            if (PacketClassifier.Classify(datagram) != PacketKind.Stun || !StunMessage.TryParse(datagram, out var request, out _)
                || !request.IsBindingRequest || !UfragToken.TrySplitUsername(request.Username, out var relayUfrag, out _)
                || !UfragToken.TryRead(relayUfrag, UfragTokenTests.Secret, out ulong sessionId))
                return null;
            lookups++;
            if (!sessions.TryGetValue(sessionId, out var agent))
                return null;
            var buffer = new byte[1500];
            var result = agent.HandleBindingRequest(request, Client, TimeSpan.Zero, buffer, out int length);
            response = buffer[..length];
            return result;
        }

        string forgedUfrag = "Q2hyb21lRm9yZ2VkVWZyYWcx";
        Assert.Null(Receive(new TestPeer($"{forgedUfrag}:{RemoteUfrag}", LocalPassword).Check(nominate: true), out _));
        string unknownSession = UfragToken.Mint(0xBAD, new byte[32]);
        Assert.Null(Receive(new TestPeer($"{unknownSession}:{RemoteUfrag}", LocalPassword).Check(nominate: true), out _));
        Assert.Equal(0, lookups);

        var browser = Browser();
        Assert.Equal(IceCheckResult.Accepted, Receive(browser.Check(nominate: true), out byte[] response));
        browser.AssertSuccess(response, Client);
        Assert.Equal(1, lookups);
    }

    [Fact]
    public void Request_path_allocates_nothing()
    {
        var agent = NewAgent();
        byte[] check = Browser().Check(nominate: true);
        byte[] forged = new TestPeer("AAAAAAAAAAAAAAAAAAAAAAAA:cL1e", LocalPassword).Check(nominate: true);
        var response = new byte[1500];
        for (int i = 0; i < 100; i++)
            Handle(agent, check, response, i);
        agent.TryPollEvent(out _);
        int accepted = 0, dropped = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            accepted += Handle(agent, check, response, 100 + i) == IceCheckResult.Accepted ? 1 : 0;
            dropped += Handle(agent, forged, response, 100 + i) == IceCheckResult.UsernameMismatch ? 1 : 0;
            agent.HandleTimeout(TimeSpan.FromSeconds(100 + i));
            _ = agent.NextTimeout;
            agent.TryPollEvent(out _);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, accepted);
        Assert.Equal(1000, dropped);
        Assert.Equal(0, allocated);
    }

    private static IceCheckResult Handle(IceLiteAgent agent, byte[] datagram, byte[] response, int second)
    {
        StunMessage.TryParse(datagram, out var request, out _);
        return agent.HandleBindingRequest(request, second % 2 == 0 ? Client : ClientIPv6, TimeSpan.FromSeconds(second), response, out _);
    }

    [Fact]
    public void Too_small_response_buffer_is_reported_not_thrown()
    {
        var agent = NewAgent();
        Assert.True(StunMessage.TryParse(Browser().Check(nominate: true), out var request, out _));
        Assert.Equal(IceCheckResult.ResponseBufferTooSmall, agent.HandleBindingRequest(request, Client, TimeSpan.Zero, new byte[40], out int length));
        Assert.Equal(0, length);
        Assert.Equal(IceState.New, agent.State);
    }

    [Theory]
    [InlineData("abc", LocalPassword, RemoteUfrag)]
    [InlineData("abcd", "tooShortPassword", RemoteUfrag)]
    [InlineData("abcd", LocalPassword, "c:1e")]
    [InlineData("ab de", LocalPassword, RemoteUfrag)]
    [InlineData("abcd", LocalPassword, "\u00e9t\u00e9s")]
    public void Invalid_credentials_are_refused_at_construction(string localUfrag, string localPassword, string remoteUfrag)
    {
        Assert.Throws<ArgumentException>(() => new IceLiteAgent(localUfrag, localPassword, remoteUfrag, TimeSpan.Zero));
    }

    [Fact]
    public void Random_bytes_to_everything_never_throw_or_change_state()
    {
        var random = new Random(7675);
        var agent = NewAgent();
        byte[] secret = UfragTokenTests.Secret;
        byte[] valid = Browser().Check(nominate: true);
        var response = new byte[1500];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(0, 160)];
                random.NextBytes(datagram);
            }
            else
            {
                // Flip a bit before FINGERPRINT and repair it, so MESSAGE-INTEGRITY is what must catch the change.
                datagram = (byte[])valid.Clone();
                datagram[random.Next(datagram.Length - 8)] ^= (byte)(1 << random.Next(8));
                RepairFingerprint(datagram, datagram.Length - 8);
            }
            // The relay's receive path: classify, parse, split, verify the token, then the session's agent.
            if (PacketClassifier.Classify(datagram) != PacketKind.Stun || !StunMessage.TryParse(datagram, out var request, out _))
                continue;
            if (request.IsBindingRequest && UfragToken.TrySplitUsername(request.Username, out var relayUfrag, out _))
                UfragToken.TryRead(relayUfrag, secret, out _);
            var result = agent.HandleBindingRequest(request, Client, TimeSpan.FromMilliseconds(i), response, out int length);
            Assert.True(result >= IceCheckResult.NotBindingRequest, $"mutated check accepted: {result}");
            Assert.Equal(0, length);
        }
        Assert.Equal(IceState.New, agent.State);
        Assert.Empty(Events(agent));
    }

    private static TransportAddress Address(string ip, int port) => TransportAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse(ip), port));

    private static void RepairFingerprint(byte[] datagram, int fingerprintOffset) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(fingerprintOffset + 4),
            Crc32(datagram.AsSpan(0, fingerprintOffset)) ^ 0x5354554E);

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
