using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options every lock command takes.</summary>
internal class BackendSettings : CommandSettings
{
    [CommandOption("-b|--backend <URI>")]
    [Description("Backend connection string: file:///dir, memory://, etcd://host:2379, redis://host:6379, zk://host:2181. Default: $LATCHKEY_BACKEND, else file:// in $XDG_RUNTIME_DIR/latchkey or the temp directory.")]
    public string? Backend { get; init; }

    [CommandOption("--password-file <FILE>")]
    [Description("Read the backend's password from the first line of FILE (or set LATCHKEY_PASSWORD, and LATCHKEY_USERNAME), so it stays out of ps and shell history.")]
    public string? PasswordFile { get; init; }

    /// <summary>The backend to use (the option, else the environment, else the embedded default), with the credentials added.</summary>
    /// <exception cref="FormatException">The connection string is malformed, or the password file cannot be read.</exception>
    public string ResolveBackend() => Credentials.Apply(DefaultBackend.Resolve(Backend), PasswordFile);
}
