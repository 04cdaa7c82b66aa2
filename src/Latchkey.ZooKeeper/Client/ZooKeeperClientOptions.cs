using System.Globalization;

namespace Latchkey.ZooKeeper.Client;

/// <summary>How a <see cref="ZooKeeperClient"/> connects.</summary>
internal sealed record ZooKeeperClientOptions
{
    /// <summary>The default client port.</summary>
    public const int DefaultPort = 2181;

    /// <summary>The servers, tried in turn (at least one).</summary>
    public required IReadOnlyList<(string Host, int Port)> Hosts { get; init; }

    /// <summary>A path every path of the client is relative to (<c>/app</c>), or <see langword="null"/>. It must exist.</summary>
    public string? Chroot { get; init; }

    /// <summary>The session timeout asked for; the server clamps it to its own bounds (see <see cref="ZooKeeperClient.SessionTimeout"/>).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the first connect may take, over every host, before it fails; also the limit of each later attempt.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Credentials added at every connect.</summary>
    public IReadOnlyList<ZooKeeperAuth> Auth { get; init; } = [];

    /// <summary>The ACL of created nodes when an operation gives none.</summary>
    public IReadOnlyList<ZooKeeperAcl> DefaultAcl { get; init; } = ZooKeeperAcl.OpenUnsafe;

    /// <summary>TLS to the servers' <c>secureClientPort</c>, or <see langword="null"/> for plain TCP.</summary>
    public ZooKeeperTls? Tls { get; init; }

    /// <summary>The largest frame accepted from a server; a larger length prefix fails the connection.</summary>
    public int MaxFrameBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>To resume an existing session instead of creating one: its id (with <see cref="SessionPassword"/>).</summary>
    public long SessionId { get; init; }

    /// <summary>The password of the session in <see cref="SessionId"/>.</summary>
    public byte[]? SessionPassword { get; init; }

    /// <summary>Parses ZooKeeper's connect string: <c>host:port,host:port/chroot</c>.</summary>
    /// <exception cref="FormatException">The string is malformed.</exception>
    public static ZooKeeperClientOptions Parse(string connectString)
    {
        ArgumentNullException.ThrowIfNull(connectString);
        var slash = connectString.IndexOf('/', StringComparison.Ordinal);
        var hostPart = slash >= 0 ? connectString[..slash] : connectString;
        var chroot = slash >= 0 ? connectString[slash..] : null;
        var hosts = new List<(string, int)>();
        foreach (var part in hostPart.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon < 0)
            {
                hosts.Add((part, DefaultPort));
            }
            else if (int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
            {
                hosts.Add((part[..colon].Trim('[', ']'), port));
            }
            else
            {
                throw new FormatException($"ZooKeeper host '{part}' must be host or host:port with a port from 1 to 65535.");
            }
        }

        if (hosts.Count == 0)
        {
            throw new FormatException($"ZooKeeper connect string needs at least one host; got '{connectString}'.");
        }

        return new ZooKeeperClientOptions { Hosts = hosts, Chroot = NormalizeChroot(chroot) };
    }

    /// <summary>Checks the chroot: <see langword="null"/> or empty or <c>/</c> mean none; else an absolute path without a trailing slash.</summary>
    /// <exception cref="FormatException">The chroot is not a valid path.</exception>
    public static string? NormalizeChroot(string? chroot)
    {
        if (string.IsNullOrEmpty(chroot) || chroot == "/")
        {
            return null;
        }

        var trimmed = chroot.TrimEnd('/');
        var error = ZooKeeperPath.Validate(trimmed, sequential: false);
        return error is null ? trimmed : throw new FormatException($"ZooKeeper chroot '{chroot}' is not a valid path: {error}");
    }
}
