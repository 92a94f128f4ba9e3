using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.Bench.Srtp;

/// <summary>
/// The crypto choice behind SrtpContext, measured side by side on one 172-byte packet: GCM on AES-NI (what
/// SrtpContext uses where the CPU has it) and on libcrypto EVP contexts (the fallback; also HMAC and CTR),
/// against .NET's AesGcm and IncrementalHash HMAC. A forged packet costs .NET's AesGcm an exception; ours
/// return false. The GcmOpen benchmarks first copy a sealed packet back into place (the same 172-byte copy
/// for both paths), since opening decrypts in place.
/// </summary>
[MemoryDiagnoser]
public class SrtpPrimitiveBench
{
    private readonly byte[] _packet = new byte[12 + 160 + 16];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _roc = new byte[4];
    private readonly byte[] _hash = new byte[20];
    private readonly byte[] _iv = new byte[16];
    private readonly byte[] _sealed = new byte[12 + 160 + 16];
    private readonly byte[] _sealedTag = new byte[16];
    private GcmCipher _gcm = null!;
    private GcmCipher _aesNiGcm = null!;
    private AesGcm _dotnetGcm = null!;
    private HmacSha1 _hmac = null!;
    private IncrementalHash _dotnetHmac = null!;
    private CounterModeCipher _ctr = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)(0x11 * i + 7)).ToArray();
        byte[] authKey = Enumerable.Range(0, 20).Select(i => (byte)(0x2b * i + 3)).ToArray();
        _gcm = GcmCipher.Create(key, useLibCrypto: true);
        _aesNiGcm = GcmCipher.Create(key, useLibCrypto: false);
        _sealed.AsSpan(12, 160).Fill(0x5a);
        _gcm.Seal(_nonce, _sealed.AsSpan(0, 12), default, _sealed.AsSpan(12, 160), _sealedTag);
        _dotnetGcm = new AesGcm(key, 16);
        _hmac = new HmacSha1(authKey);
        _dotnetHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);
        _ctr = new CounterModeCipher(key);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm.Dispose();
        _aesNiGcm.Dispose();
        _dotnetGcm.Dispose();
        _hmac.Dispose();
        _dotnetHmac.Dispose();
        _ctr.Dispose();
    }

    [Benchmark]
    public void GcmSealLibCrypto() => _gcm.Seal(_nonce, _packet.AsSpan(0, 12), default, _packet.AsSpan(12, 160), _tag);

    [Benchmark]
    public void GcmSealAesNi() => _aesNiGcm.Seal(_nonce, _packet.AsSpan(0, 12), default, _packet.AsSpan(12, 160), _tag);

    [Benchmark]
    public bool GcmOpenLibCrypto() => Open(_gcm);

    [Benchmark]
    public bool GcmOpenAesNi() => Open(_aesNiGcm);

    private bool Open(GcmCipher cipher)
    {
        _sealed.CopyTo(_packet, 0);
        return cipher.TryOpen(_nonce, _packet.AsSpan(0, 12), default, _packet.AsSpan(12, 160), _sealedTag)
            ? true
            : throw new InvalidOperationException("a sealed packet did not open");
    }

    [Benchmark]
    public void GcmSealDotNetAesGcm() => _dotnetGcm.Encrypt(_nonce, _packet.AsSpan(12, 160), _packet.AsSpan(12, 160), _tag, _packet.AsSpan(0, 12));

    [Benchmark]
    public bool GcmOpenForgedLibCrypto() => _gcm.TryOpen(_nonce, _packet.AsSpan(0, 12), default, _packet.AsSpan(12, 160), _tag);

    [Benchmark]
    public bool GcmOpenForgedAesNi() => _aesNiGcm.TryOpen(_nonce, _packet.AsSpan(0, 12), default, _packet.AsSpan(12, 160), _tag);

    [Benchmark]
    public bool GcmOpenForgedDotNetAesGcm()
    {
        try
        {
            _dotnetGcm.Decrypt(_nonce, _packet.AsSpan(12, 160), _tag, _packet.AsSpan(12, 160), _packet.AsSpan(0, 12));
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    [Benchmark]
    public void HmacSha1LibCrypto() => _hmac.Compute(_packet.AsSpan(0, 172), _roc, _hash);

    [Benchmark]
    public int HmacSha1DotNetIncrementalHash()
    {
        _dotnetHmac.AppendData(_packet.AsSpan(0, 172));
        _dotnetHmac.AppendData(_roc);
        return _dotnetHmac.GetHashAndReset(_hash);
    }

    [Benchmark]
    public void AesCtrLibCrypto() => _ctr.Transform(_iv, _packet.AsSpan(12, 160));
}
