namespace EdgeVoice.Relay.Configuration;

/// <summary>
/// The relay's configuration cannot be used. <see cref="Exception.Message"/> has one line per problem, each naming where
/// (file:line, environment variable or command-line argument), the field, and what to do; the host prints it and exits non-zero.
/// </summary>
public sealed class RelayConfigurationException : Exception
{
    public RelayConfigurationException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public RelayConfigurationException(string error) : this([error]) { }

    public IReadOnlyList<string> Errors { get; }

    /// <summary>An I/O failure in words; the AOT build strips framework exception messages (UseSystemResourceKeys).</summary>
    internal static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        _ => e.GetType().Name,
    };
}
