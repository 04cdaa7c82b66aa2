using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options every lock command takes.</summary>
internal class BackendSettings : CommandSettings
{
    [CommandOption("-b|--backend <URI>")]
    [Description("Backend connection string: file:///dir, memory://, etcd://host:2379, redis://host:6379, zk://host:2181. Default: $LATCHKEY_BACKEND, else file:// in $XDG_RUNTIME_DIR/latchkey or the temp directory.")]
    public string? Backend { get; init; }

    /// <summary>The backend to use: the option, else the environment, else the embedded default.</summary>
    public string ResolveBackend() => DefaultBackend.Resolve(Backend);
}
