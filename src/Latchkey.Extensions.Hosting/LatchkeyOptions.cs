using System.Globalization;
using System.Text;

namespace Latchkey.Extensions.Hosting;

/// <summary>
/// A provider's settings as bound from configuration, e.g. the <c>Latchkey</c> section of appsettings.json:
/// <code>
/// "Latchkey": { "ConnectionString": "redis://cache:6379", "Settings": { "ttl": "10s", "fair": "true" } }
/// </code>
/// </summary>
public sealed class LatchkeyOptions
{
    /// <summary>The backend's connection string (<c>etcd://…</c>, <c>redis://…</c>, <c>zk://…</c>, <c>file:///…</c>, <c>memory://</c>). Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Backend settings added to the connection string's query (<c>ttl</c>, <c>fair</c>, <c>prefix</c>, …: each
    /// backend's guide lists them), so they can live in configuration apart from the address. A setting
    /// given both here and in <see cref="ConnectionString"/> is an error.
    /// </summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The connection string with <see cref="Settings"/> added to its query.</summary>
    /// <exception cref="InvalidOperationException"><see cref="ConnectionString"/> is not set.</exception>
    public string ToConnectionString()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("No connection string is set.");
        }

        if (Settings.Count == 0)
        {
            return ConnectionString;
        }

        var builder = new StringBuilder(ConnectionString);
        var separator = ConnectionString.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        foreach (var (key, value) in Settings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            builder.Append(CultureInfo.InvariantCulture, $"{separator}{Uri.EscapeDataString(key)}={Uri.EscapeDataString(value)}");
            separator = '&';
        }

        return builder.ToString();
    }
}
