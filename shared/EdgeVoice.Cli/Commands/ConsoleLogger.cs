using Microsoft.Extensions.Logging;

namespace EdgeVoice.Cli.Commands;

/// <summary>Log lines to a writer, for the operator commands (no logging framework in the CLI).</summary>
internal sealed class ConsoleLogger(TextWriter writer, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (writer)
            writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}");
    }
}
