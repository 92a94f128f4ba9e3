using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace EdgeVoice.Transceiver.Vad;

/// <summary>
/// Fetches the Silero VAD model (MIT) from the npm package that ships it, with npm itself, into a cache
/// directory, and accepts it only if its SHA-256 matches the pinned one.
/// </summary>
public static class SileroModel
{
    public const string Package = "@livekit/agents-plugin-silero@1.9.0";
    public const string EntryInPackage = "package/dist/silero_vad.onnx";
    public const string FileName = "silero_vad.onnx";
    public const string Sha256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3";

    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("EDGEVOICE_MODEL_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edgevoice");

    /// <summary>Returns the cached model's path, fetching it with <c>npm pack</c> first if needed.</summary>
    public static async Task<string> EnsureAsync(string cacheDirectory, Action<string> log, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(cacheDirectory);
        string target = Path.Combine(cacheDirectory, FileName);
        if (File.Exists(target) && HashOf(await File.ReadAllBytesAsync(target, cancellationToken)) == Sha256) return target;

        string work = Directory.CreateTempSubdirectory("edgevoice-npm").FullName;
        try
        {
            log($"silero: fetching {Package} with npm pack");
            var npm = new ProcessStartInfo("npm", ["pack", Package, "--silent", "--pack-destination", work])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = work,
            };
            using var process = Process.Start(npm) ?? throw new InvalidOperationException("could not start npm (install Debian's npm)");
            string stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0) throw new InvalidOperationException($"npm pack {Package} failed ({process.ExitCode}): {stderr.Trim()}");
            string tarball = Directory.GetFiles(work, "*.tgz").SingleOrDefault() ?? throw new InvalidOperationException($"npm pack {Package} produced no tarball");

            byte[] model = await ExtractAsync(tarball, cancellationToken);
            string hash = HashOf(model);
            if (hash != Sha256) throw new InvalidDataException($"{EntryInPackage} in {Package} has SHA-256 {hash}, expected {Sha256}; refusing it");
            string partial = target + ".partial";
            await File.WriteAllBytesAsync(partial, model, cancellationToken);
            File.Move(partial, target, overwrite: true);
            log($"silero: {target} ({model.Length} bytes, SHA-256 verified)");
            return target;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not run npm ({e.Message}); install Debian's npm", e);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<byte[]> ExtractAsync(string tarball, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(cancellationToken: cancellationToken) is { } entry)
        {
            if (entry.Name != EntryInPackage || entry.DataStream is null) continue;
            using var buffer = new MemoryStream();
            await entry.DataStream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        throw new InvalidDataException($"{tarball} has no {EntryInPackage}");
    }

    private static string HashOf(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
