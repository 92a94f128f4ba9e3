using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Transceiver.Tests;

public sealed class SimulateTests
{
    [Fact]
    public async Task Simulate_answers_a_wav_with_a_wav()
    {
        string dir = Directory.CreateTempSubdirectory("edgevoice-sim").FullName;
        try
        {
            string question = Path.Combine(dir, "q.wav"), answer = Path.Combine(dir, "a.wav");
            WaveFile.Write(question, Speech.Say("tell me a joke"), EspeakNg.SampleRate);
            int rc = await SimulateCommand.RunAsync(["--in", question, "--out", answer, "--config", Speech.RepoFile("configs/transceiver.yaml")]);
            Assert.Equal(0, rc);
            var (pcm, rate) = WaveFile.Read(answer);
            Assert.Equal(48_000, rate);
            Assert.Equal("you said tell me a joke", Speech.Transcribe(pcm, rate, Speech.Grammar));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Simulate_reports_bad_arguments_and_files()
    {
        Assert.Equal(2, await SimulateCommand.RunAsync([]));
        Assert.Equal(2, await SimulateCommand.RunAsync(["--bogus"]));
        Assert.Equal(1, await SimulateCommand.RunAsync(["--in", "/nonexistent.wav", "--out", "/tmp/x.wav", "--config", Speech.RepoFile("configs/transceiver.yaml")]));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' })]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E', (byte)'d', (byte)'a', (byte)'t', (byte)'a', 255, 255, 255, 127 })]
    public void Malformed_wav_is_refused(byte[] data)
    {
        Assert.False(WaveFile.TryParse(data, out _, out _, out var error));
        Assert.NotEmpty(error);
    }
}
