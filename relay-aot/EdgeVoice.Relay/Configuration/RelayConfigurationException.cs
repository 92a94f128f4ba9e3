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
}
