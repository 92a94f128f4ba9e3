using System.Net;
using System.Net.Sockets;
using EdgeVoice.Relay.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>The relay fixture itself: it starts the relay on the ports it reports and leaves nothing behind.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class RelayProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Relay_listens_on_its_reported_ports_and_is_gone_after_dispose()
    {
        var relay = await RelayProcess.StartAsync(output);
        var endpoints = relay.Endpoints;
        Assert.Equal(IPAddress.Loopback, endpoints.Http.Address);
        Assert.False(relay.HasExited);
        Assert.Throws<SocketException>(() => BindUdp(endpoints.Udp)); // the relay holds its one UDP port

        await relay.DisposeAsync();

        Assert.True(relay.HasExited);
        using var udp = BindUdp(endpoints.Udp);
        var http = new TcpListener(endpoints.Http);
        http.Start();
        http.Stop();
    }

    private static Socket BindUdp(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
