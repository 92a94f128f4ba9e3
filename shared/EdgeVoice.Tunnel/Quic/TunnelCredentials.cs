using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>This node's certificate and key as GnuTLS credentials; shared by the connections that use it.</summary>
public sealed class TunnelCredentials : IDisposable
{
    internal QuicCredentialsHandle Handle { get; }

    private TunnelCredentials(QuicCredentialsHandle handle) => Handle = handle;

    /// <summary>From a certificate that carries its ECDSA private key.</summary>
    public static TunnelCredentials FromCertificate(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException($"certificate '{certificate.Subject}' has no ECDSA private key", nameof(certificate));
        return Create(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>From PEM files (as written by `edgevoice cert-issue`).</summary>
    public static TunnelCredentials FromFiles(string certificatePath, string keyPath) =>
        Create(File.ReadAllText(certificatePath), File.ReadAllText(keyPath), certificatePath);

    /// <summary>No certificate at all: only for showing that a peer without one is refused.</summary>
    public static TunnelCredentials WithoutCertificate() => Create("", "");

    private static unsafe TunnelCredentials Create(string certificatePem, string keyPem, string? source = null)
    {
        if (!Interop.EvQuic.IsSupported)
            throw new PlatformNotSupportedException(Interop.EvQuic.NotSupportedReason);
        byte[] cert = Encoding.ASCII.GetBytes(certificatePem);
        byte[] key = Encoding.ASCII.GetBytes(keyPem);
        try
        {
            fixed (byte* c = cert)
            fixed (byte* k = key)
            {
                IntPtr handle = Interop.EvQuic.evq_creds_new(c, (nuint)cert.Length, k, (nuint)key.Length, out int error);
                if (handle == IntPtr.Zero)
                    throw new TunnelException($"{source ?? "certificate"}: GnuTLS refused the certificate or key: {Interop.EvQuic.TlsErrorText(error)}", error);
                return new TunnelCredentials(new QuicCredentialsHandle(handle));
            }
        }
        finally
        {
            Array.Clear(key); // the private key lives on only inside GnuTLS
        }
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>A native tunnel failure, with the library's error code.</summary>
public sealed class TunnelException(string message, int nativeError) : Exception(message)
{
    public int NativeError { get; } = nativeError;
}
