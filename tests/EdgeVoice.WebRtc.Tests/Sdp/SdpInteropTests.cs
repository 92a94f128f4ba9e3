using System.Diagnostics;
using System.Net;
using EdgeVoice.WebRtc.Sdp;

namespace EdgeVoice.WebRtc.Tests.Sdp;

/// <summary>A real WebRTC stack (Debian's python3-aiortc 1.4.0 under /usr/bin/python3) makes the offer and must accept the answer.</summary>
[Trait("Category", "Interop")]
public class SdpInteropTests
{
    // Prints the offer on one line (CRLF escaped), reads the answer the same way, applies it, prints the outcome.
    private const string AiortcOfferer = """
        import asyncio, sys
        from aiortc import RTCPeerConnection, RTCSessionDescription
        from aiortc.mediastreams import AudioStreamTrack
        async def main():
            pc = RTCPeerConnection()
            pc.addTrack(AudioStreamTrack())
            if sys.argv[1] == "datachannel":
                pc.createDataChannel("events")
            await pc.setLocalDescription(await pc.createOffer())
            print(pc.localDescription.sdp.replace("\r\n", "\\n"), flush=True)
            answer = sys.stdin.readline().strip().replace("\\n", "\r\n")
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                t = pc.getTransceivers()[0]
                print("ACCEPTED", pc.signalingState, t.kind, t.currentDirection, flush=True)
            except Exception as e:
                print("REJECTED", type(e).__name__, e, flush=True)
            # Leave without pc.close(): ICE towards the unreachable test address is not part of this check.
            sys.stdout.flush()
            import os; os._exit(0)
        asyncio.run(main())
        """;

    [Theory]
    [InlineData("audio")]
    [InlineData("datachannel")]
    public void AiortcAcceptsTheAnswer(string shape)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(AiortcOfferer);
        start.ArgumentList.Add(shape);
        using var python = Process.Start(start)!;
        string? offerLine = python.StandardOutput.ReadLine();
        if (offerLine is null)
            Assert.Fail("no offer from /usr/bin/python3 (is the Debian package python3-aiortc installed?): " + python.StandardError.ReadToEnd());
        Assert.True(SdpOffer.TryParse(offerLine.Replace("\\n", "\r\n"), out var offer, out _, out string reason), reason);

        string answer = SdpAnswer.Build(offer, SdpAnswerTests.Parameters("127.0.0.1", 3478));
        python.StandardInput.WriteLine(answer.Replace("\r\n", "\\n"));
        python.StandardInput.Flush();
        string? outcome = python.StandardOutput.ReadLine();
        if (!python.WaitForExit(20_000))
            python.Kill();
        Assert.Equal("ACCEPTED stable audio sendrecv", outcome);
    }
}
