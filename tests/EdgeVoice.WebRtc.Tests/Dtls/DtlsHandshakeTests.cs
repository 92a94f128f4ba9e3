using System.Buffers.Binary;
using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Dtls;

public class DtlsHandshakeTests : IClassFixture<DtlsWarmHandshake>
{
    [Fact]
    public void BothSidesDeriveTheSameSrtpKeys()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));

        SrtpKeyingMaterial client = link.ClientEvent<DtlsEvent.Connected>()!.Keys;
        SrtpKeyingMaterial server = link.ServerEvent<DtlsEvent.Connected>()!.Keys;
        Assert.Equal(SrtpProfile.AeadAes128Gcm, server.Profile);
        Assert.Equal(server.Profile, client.Profile);
        Assert.Equal(server.ClientKey, client.ClientKey);
        Assert.Equal(server.ClientSalt, client.ClientSalt);
        Assert.Equal(server.ServerKey, client.ServerKey);
        Assert.Equal(server.ServerSalt, client.ServerSalt);
        Assert.Equal(12, server.ClientSalt.Length);
        Assert.NotEqual(server.ClientKey, server.ServerKey);
        Assert.Equal(DtlsState.Connected, link.Server.State);
        Assert.Null(link.Server.NextTimeout);
    }

    [Fact]
    public void The_server_wakes_its_owner_once_per_flight_not_once_per_datagram()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        // Flight 2 (ServerHello .. ServerHelloDone) when the worker waits for the client's answer; flight 4
        // (ChangeCipherSpec, Finished) together with the Connected event when the handshake returns.
        Assert.True(link.ServerWakes <= 2, $"{link.ServerWakes} wakes for {link.ToClient.Count} datagrams");
        Assert.True(link.ToClient.Count > link.ServerWakes, $"{link.ServerWakes} wakes for {link.ToClient.Count} datagrams");
    }

    [Fact]
    public void ServerPrefersGcmEvenWhenTheClientListsCmFirst()
    {
        var link = new DtlsLink(clientProfiles: [SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm]);
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        Assert.Equal(SrtpProfile.AeadAes128Gcm, link.ServerEvent<DtlsEvent.Connected>()!.Keys.Profile);
        Assert.Equal(SrtpProfile.AeadAes128Gcm, link.ClientEvent<DtlsEvent.Connected>()!.Keys.Profile);
    }

    [Fact]
    public void ClientOfferingOnlyCmGetsCm()
    {
        var link = new DtlsLink(clientProfiles: [SrtpProfile.Aes128CmHmacSha1_80]);
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        SrtpKeyingMaterial server = link.ServerEvent<DtlsEvent.Connected>()!.Keys;
        SrtpKeyingMaterial client = link.ClientEvent<DtlsEvent.Connected>()!.Keys;
        Assert.Equal(SrtpProfile.Aes128CmHmacSha1_80, server.Profile);
        Assert.Equal(14, server.ServerSalt.Length);
        Assert.Equal(server.ServerKey, client.ServerKey);
        Assert.Equal(server.ServerSalt, client.ServerSalt);
    }

    [Fact]
    public void NoCommonProfileFailsBothSides()
    {
        var link = new DtlsLink(clientProfiles: [SrtpProfile.Aes128CmHmacSha1_80], serverProfiles: [SrtpProfile.AeadAes128Gcm]);
        link.Start();
        Assert.True(link.RunUntil(l => l.ClientEvent<DtlsEvent.Failed>() is not null && l.ServerEvent<DtlsEvent.Failed>() is not null), Describe(link));

        Assert.Equal(DtlsError.NoCommonSrtpProfile, link.ServerEvent<DtlsEvent.Failed>()!.Reason);
        DtlsEvent.Failed client = link.ClientEvent<DtlsEvent.Failed>()!;
        Assert.Equal(DtlsError.AlertReceived, client.Reason);
        Assert.Contains("handshake_failure", client.Detail);
        Assert.Null(link.ClientEvent<DtlsEvent.Connected>());
        Assert.Null(link.ServerEvent<DtlsEvent.Connected>());
        Assert.True(DtlsLink.WaitForWorkersToEnd([link.Client, link.Server]));
    }

    [Fact]
    public void WrongClientFingerprintFailsTheServerWithFingerprintMismatch()
    {
        DtlsFingerprint other = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1)).Fingerprint;
        var link = new DtlsLink(clientFingerprintInOffer: other);
        link.Start();
        Assert.True(link.RunUntil(l => l.ServerEvent<DtlsEvent.Failed>() is not null && l.ClientEvent<DtlsEvent.Failed>() is not null), Describe(link));

        Assert.Equal(DtlsError.FingerprintMismatch, link.ServerEvent<DtlsEvent.Failed>()!.Reason);
        DtlsEvent.Failed client = link.ClientEvent<DtlsEvent.Failed>()!;
        Assert.Equal(DtlsError.AlertReceived, client.Reason);
        Assert.Contains("bad_certificate", client.Detail);
        Assert.Null(link.ServerEvent<DtlsEvent.Connected>());
        Assert.Null(link.ClientEvent<DtlsEvent.Connected>());
    }

    [Fact]
    public void WrongServerFingerprintFailsTheClient()
    {
        DtlsFingerprint other = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1)).Fingerprint;
        var link = new DtlsLink(serverFingerprintInAnswer: other);
        link.Start();
        Assert.True(link.RunUntil(l => l.ServerEvent<DtlsEvent.Failed>() is not null && l.ClientEvent<DtlsEvent.Failed>() is not null), Describe(link));

        Assert.Equal(DtlsError.FingerprintMismatch, link.ClientEvent<DtlsEvent.Failed>()!.Reason);
        Assert.Equal(DtlsError.AlertReceived, link.ServerEvent<DtlsEvent.Failed>()!.Reason);
        Assert.Null(link.ServerEvent<DtlsEvent.Connected>());
    }

    [Fact]
    public void GarbageMidHandshakeIsDroppedAndTheHandshakeCompletes()
    {
        var link = new DtlsLink();
        var random = new Random(5764);
        link.Start();
        // Let the ClientHello and the server's first flight through, then spray both sides.
        Assert.True(link.RunUntil(l => l.ToClient.Count > 0), Describe(link));
        foreach (byte[] junk in Garbage(random))
        {
            link.Server.HandleInput(junk, link.Now);
            link.Client.HandleInput(junk, link.Now);
        }
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        Assert.True(link.Server.DroppedDatagrams > 0);
        Assert.Equal(link.ServerEvent<DtlsEvent.Connected>()!.Keys.ServerKey, link.ClientEvent<DtlsEvent.Connected>()!.Keys.ServerKey);

        // After the handshake too: junk does not end the association.
        foreach (byte[] junk in Garbage(random))
            link.Server.HandleInput(junk, link.Now);
        link.RunUntil(l => false, 50);
        Assert.Equal(DtlsState.Connected, link.Server.State);
        Assert.Null(link.ServerEvent<DtlsEvent.Failed>());
    }

    [Fact]
    public void CloseNotifyFromTheClientGivesClosedOnTheServer()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));

        link.Client.Close();
        Assert.True(link.RunUntil(l => l.ServerEvent<DtlsEvent.Closed>() is not null), Describe(link));
        Assert.Equal(DtlsState.Closed, link.Server.State);
        Assert.Equal(DtlsState.Closed, link.Client.State);
        Assert.True(DtlsLink.WaitForWorkersToEnd([link.Client, link.Server]));
    }

    [Fact]
    public void CloseOnTheServerSendsCloseNotify()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        int sent = link.ToClient.Count;

        link.Server.Close();
        Assert.True(link.RunUntil(l => l.ClientEvent<DtlsEvent.Closed>() is not null), Describe(link));
        // One encrypted alert record: 13-byte header + 8 explicit nonce + 2 + 16 tag.
        byte[] closeNotify = link.ToClient[sent];
        Assert.True(DtlsRecordHeader.TryParse(closeNotify, out DtlsRecordHeader header, out _));
        Assert.Equal(DtlsContentType.Alert, header.ContentType);
        Assert.Equal(1, header.Epoch);
        Assert.Null(link.Server.NextTimeout);
    }

    [Fact]
    public void Close_on_a_connected_server_writes_close_notify_before_it_returns_without_a_work_item_or_a_wake()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected && !l.Server.IsWorkerRunning), Describe(link));
        int wakes = link.ServerWakes;

        link.Server.Close();

        // Polled straight away, without running the link: the media loop sends it in the turn that ended the call.
        Assert.True(link.Server.TryPollTransmit(out var closeNotify));
        Assert.True(DtlsRecordHeader.TryParse(closeNotify.Span, out DtlsRecordHeader header, out _));
        Assert.Equal(DtlsContentType.Alert, header.ContentType);
        Assert.Equal(1, header.Epoch);
        Assert.False(link.Server.TryPollTransmit(out _));
        Assert.False(link.Server.IsWorkerRunning);
        Assert.Equal(wakes, link.ServerWakes);
        Assert.Equal(DtlsState.Closed, link.Server.State);
    }

    [Fact]
    public void ClientHandshakeThatNeverCompletesTimesOutOnTheVirtualClock()
    {
        var link = new DtlsLink { LoseToServer = _ => true };
        link.Start();
        Assert.Equal(link.Now + TimeSpan.FromSeconds(10), link.Client.NextTimeout);

        link.Client.HandleTimeout(link.Now + TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(DtlsState.Handshaking, link.Client.State);

        link.Client.HandleTimeout(link.Client.NextTimeout!.Value);
        Assert.True(link.Client.TryPollEvent(out DtlsEvent? e));
        Assert.Equal(DtlsError.Timeout, Assert.IsType<DtlsEvent.Failed>(e).Reason);
        Assert.Equal(DtlsState.Failed, link.Client.State);
        Assert.Null(link.Client.NextTimeout);
        Assert.True(DtlsLink.WaitForWorkersToEnd([link.Client]));
    }

    [Fact]
    public void ServerHandshakeWhoseFlightsAreLostTimesOut()
    {
        var link = new DtlsLink { LoseToClient = _ => true };
        link.Start();
        Assert.True(link.RunUntil(l => l.LostToClient > 0), Describe(link));
        Assert.Equal(link.Now + TimeSpan.FromSeconds(10), link.Server.NextTimeout);

        link.Now += TimeSpan.FromSeconds(10);
        link.Server.HandleTimeout(link.Now);
        link.Progress();
        Assert.Equal(DtlsError.Timeout, link.ServerEvent<DtlsEvent.Failed>()!.Reason);
        link.Client.Close();
        Assert.True(DtlsLink.WaitForWorkersToEnd([link.Client, link.Server]));
    }

    [Fact]
    public void LostFirstServerFlightIsRecoveredByRetransmission()
    {
        var link = new DtlsLink(retransmit: TimeSpan.FromMilliseconds(50));
        // Lose the server's whole first flight, up to and including ServerHelloDone (handshake type 14).
        bool flightLost = false;
        link.LoseToClient = d => !flightLost && (flightLost = ContainsHandshake(d, epoch: 0, type: 14)) | true;
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        Assert.True(flightLost);
        Assert.True(link.LostToClient >= 1);
        Assert.True(link.ToClient.Count(d => ContainsHandshake(d, epoch: 0, type: 14)) >= 2, "the server's first flight is sent again");
        Assert.Equal(link.ServerEvent<DtlsEvent.Connected>()!.Keys.ClientKey, link.ClientEvent<DtlsEvent.Connected>()!.Keys.ClientKey);
    }

    [Fact]
    public void LostFinalServerFlightIsResentWhenTheConnectedServerSeesTheClientFinishedAgain()
    {
        var link = new DtlsLink(retransmit: TimeSpan.FromMilliseconds(50));
        // Lose the server's first ChangeCipherSpec + Finished (the only epoch-1 handshake record it sends).
        bool finishedLost = false;
        link.LoseToClient = d => !finishedLost && IsFinalFlight(d) && ((finishedLost = ContainsHandshake(d, epoch: 1, type: null)) | true);
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        Assert.True(finishedLost);
        Assert.True(link.ToServer.Count(IsEncryptedHandshake) >= 2, "the client retransmits its Finished");
        Assert.Equal(link.ServerEvent<DtlsEvent.Connected>()!.Keys.ServerSalt, link.ClientEvent<DtlsEvent.Connected>()!.Keys.ServerSalt);
    }

    [Fact]
    public void ManyHandshakesLeaveNoRunningWorkers()
    {
        var links = Enumerable.Range(0, 4).Select(_ => new DtlsLink()).ToList();
        foreach (DtlsLink link in links)
            link.Start();
        foreach (DtlsLink link in links)
            Assert.True(link.RunUntil(l => l.BothConnected), Describe(link));
        foreach (DtlsLink link in links)
        {
            link.Client.Close();
            Assert.True(link.RunUntil(l => l.ServerEvent<DtlsEvent.Closed>() is not null), Describe(link));
        }
        Assert.True(DtlsLink.WaitForWorkersToEnd(links.SelectMany(l => new DtlsEndpoint[] { l.Client, l.Server })));
        Assert.All(links, l => Assert.True(l.Server.Worker!.IsCompleted && l.Client.Worker!.IsCompleted));
    }

    [Fact]
    public async Task ServerRefusesAClientWithoutExtendedMasterSecret()
    {
        DtlsEvent.Failed failed = await RunAgainstRawClient(extendedMasterSecret: false, presentCertificate: true);
        Assert.Equal(DtlsError.HandshakeFailed, failed.Reason);
        Assert.Contains("handshake_failure", failed.Detail);
    }

    [Fact]
    public async Task ServerRefusesAClientThatPresentsNoCertificate()
    {
        DtlsEvent.Failed failed = await RunAgainstRawClient(extendedMasterSecret: true, presentCertificate: false);
        Assert.Equal(DtlsError.MissingPeerCertificate, failed.Reason);
    }

    /// <summary>A DtlsServer against BouncyCastle's client driven directly, to make it misbehave in one way.</summary>
    private static async Task<DtlsEvent.Failed> RunAgainstRawClient(bool extendedMasterSecret, bool presentCertificate)
    {
        var server = new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint);
        var settings = new DtlsPeerSettings(DtlsLink.ClientCertificate, DtlsLink.ServerCertificate.Fingerprint, DtlsSrtpProfiles.Default, 2_000, 1_000);
        var client = new SrtpDtlsClient(settings, extendedMasterSecret, presentCertificate);
        var pipe = new DtlsDatagramPipe(datagram => server.HandleInput(datagram, TimeSpan.Zero));
        Task<Org.BouncyCastle.Tls.DtlsTransport> run = Task.Run(() => client.Run(pipe));
        DtlsEvent? outcome = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (outcome is null && clock.ElapsedMilliseconds < 1500)
        {
            while (server.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
                pipe.TryPost(datagram.Span);
            if (!server.TryPollEvent(out outcome))
                Thread.Sleep(2);
        }
        while (server.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
            pipe.TryPost(datagram.Span);
        // The client sees the server's fatal alert and gives up.
        await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(TimeSpan.FromSeconds(3)));
        Assert.True(DtlsLink.WaitForWorkersToEnd([server]));
        return Assert.IsType<DtlsEvent.Failed>(outcome);
    }

    [Fact]
    public void JunkAloneDoesNotStartAServerWorker()
    {
        var server = new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint);
        server.HandleInput([22, 0xFE, 0xFD, 0, 0], TimeSpan.Zero);
        server.HandleInput(new byte[3000], TimeSpan.Zero);
        Assert.Equal(DtlsState.New, server.State);
        Assert.Null(server.Worker);
        Assert.Equal(2, server.DroppedDatagrams);
        Assert.False(server.TryPollTransmit(out _));
    }

    [Fact]
    public void ConfigurationIsCheckedAtConstruction()
    {
        Assert.Throws<ArgumentException>(() => new DtlsServer(DtlsLink.ServerCertificate, default));
        Assert.Throws<ArgumentException>(() => new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint, []));
        Assert.Throws<ArgumentException>(() => new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint,
            [SrtpProfile.AeadAes128Gcm, SrtpProfile.AeadAes128Gcm]));
        Assert.Throws<ArgumentException>(() => new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint, [(SrtpProfile)0x0005]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DtlsServer(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint, null, TimeSpan.Zero));
    }

    /// <summary>True when a record of the datagram is a handshake record of that epoch (and, in epoch 0, of that message type).</summary>
    private static bool ContainsHandshake(byte[] datagram, ushort epoch, byte? type)
    {
        var records = new DtlsRecordIterator(datagram);
        while (records.TryNext(out DtlsRecordHeader header, out ReadOnlySpan<byte> fragment))
        {
            if (header.ContentType == DtlsContentType.Handshake && header.Epoch == epoch && (type is null || (fragment.Length > 0 && fragment[0] == type)))
                return true;
        }
        return false;
    }

    private static bool IsFinalFlight(byte[] datagram) =>
        DtlsRecordHeader.TryParse(datagram, out DtlsRecordHeader header, out _) && (header.ContentType == DtlsContentType.ChangeCipherSpec || header.Epoch == 1);

    private static bool IsEncryptedHandshake(byte[] datagram)
    {
        var records = new DtlsRecordIterator(datagram);
        while (records.TryNext(out DtlsRecordHeader header, out _))
        {
            if (header.ContentType == DtlsContentType.Handshake && header.Epoch == 1)
                return true;
        }
        return false;
    }

    private static bool IsClientHello(byte[] datagram) =>
        datagram.Length > DtlsRecordHeader.Size && datagram[0] == (byte)DtlsContentType.Handshake && datagram[DtlsRecordHeader.Size] == 1;

    /// <summary>Random bytes, broken records, and well-formed records whose contents are junk.</summary>
    private static IEnumerable<byte[]> Garbage(Random random)
    {
        for (int i = 0; i < 20; i++)
        {
            byte[] bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            yield return bytes;
        }
        yield return [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 50, 1, 2];
        yield return [99, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0];
        // Epoch-1 records with junk ciphertext fail authentication and are ignored.
        for (int i = 0; i < 5; i++)
        {
            byte[] record = new byte[13 + 40];
            random.NextBytes(record);
            new DtlsRecordHeader(i % 2 == 0 ? DtlsContentType.Handshake : DtlsContentType.ApplicationData, DtlsRecordHeader.VersionDtls12, 1, (ulong)(100 + i), 40).WriteTo(record);
            yield return record;
        }
        // Plaintext application data with a far-ahead sequence number would push the replay window past the handshake.
        byte[] appData = new byte[13 + 10];
        new DtlsRecordHeader(DtlsContentType.ApplicationData, DtlsRecordHeader.VersionDtls12, 0, 77, 10).WriteTo(appData);
        yield return appData;
    }

    private static string Describe(DtlsLink link) =>
        $"client: {link.Client.State} [{string.Join("; ", link.ClientEvents)}], server: {link.Server.State} [{string.Join("; ", link.ServerEvents)}], " +
        $"{link.ToServer.Count} datagrams to server, {link.ToClient.Count} to client, {link.LostToClient} lost";
}
