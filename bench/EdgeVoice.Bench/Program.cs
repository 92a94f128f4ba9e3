namespace EdgeVoice.Bench;

public static class BenchProgram
{
    /// <summary>
    /// `relay ...` runs the relay-vs-pion benchmark (bench/relay.sh), `calls ...` the concurrent-calls load beside a bare UDP
    /// echo (bench/calls.sh), `conversation ...` the end-of-speech-to-reply latency (bench/conversation.sh); anything else goes to BenchmarkDotNet.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "relay")
            return Relay.RelayBenchCommand.RunAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "calls")
            return Calls.CallLoadCommand.RunAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "conversation")
            return Conversation.ConversationBenchCommand.RunAsync(args[1..]).GetAwaiter().GetResult();
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
        return 0;
    }
}
