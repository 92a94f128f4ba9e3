using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Testing;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>Signaling over HTTPS when http.certificate_path and http.key_path are set.</summary>
public class HttpsSignalingTests
{
    [Fact]
    public async Task CallIsPlacedOverHttpsWithTheConfiguredCertificate()
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-https-").FullName;
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            var now = DateTimeOffset.UtcNow;
            using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
            string certificatePath = Path.Combine(directory, "relay.crt.pem");
            string keyPath = Path.Combine(directory, "relay.key.pem");
            await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            string thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            bool presented = false;
            using var handler = new HttpClientHandler
            {
                // Trust exactly this certificate, nothing else.
                ServerCertificateCustomValidationCallback = (_, served, _, _) =>
                    presented = served is not null && served.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
            };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            await using var relay = await InProcessRelay.StartAsync(client: client, http: $"""
                  listen_urls: [ "https://127.0.0.1:0" ]
                  certificate_path: {certificatePath}
                  key_path: {keyPath}
                """);
            Assert.Equal("https", relay.Http.Scheme);

            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var caller = await SyntheticCaller.ConnectAsync(client, relay.Http, InProcessRelay.ApiKey, cancel.Token);
            Assert.True(presented, "the relay did not present the configured certificate");
            var payload = new byte[60];
            var received = new byte[1500];
            caller.SendFrame(payload);
            Assert.True(caller.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out _, out _));
            await caller.HangUpAsync(client, relay.Http, InProcessRelay.ApiKey, cancel.Token);

            // Plain HTTP to the TLS port gets no answer from signaling.
            using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var http = new UriBuilder(relay.Http) { Scheme = "http" }.Uri;
            HttpResponseMessage? plainResponse = null;
            try
            {
                plainResponse = await plain.GetAsync(new Uri(http, "/healthz"));
            }
            catch (HttpRequestException)
            {
            }
            Assert.True(plainResponse is null || plainResponse.StatusCode == HttpStatusCode.BadRequest);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
