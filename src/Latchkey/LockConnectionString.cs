using System.Globalization;

namespace Latchkey;

/// <summary>
/// A parsed connection string: <c>scheme://[user[:password]@]host[:port][,host[:port]…][/path][?key=value&amp;…]</c>.
/// Parsing checks the shape only; each backend checks the parameters it knows.
/// </summary>
public sealed class LockConnectionString
{
    private readonly Dictionary<string, string> _parameters;
    private readonly HashSet<string> _readParameters = new(StringComparer.OrdinalIgnoreCase);

    private LockConnectionString(string original, string scheme, string? userName, string? password, IReadOnlyList<LockEndpoint> endpoints, string path, Dictionary<string, string> parameters)
    {
        Original = original;
        Scheme = scheme;
        UserName = userName;
        Password = password;
        Endpoints = endpoints;
        Path = path;
        _parameters = parameters;
    }

    /// <summary>The string as given.</summary>
    public string Original { get; }

    /// <summary>The scheme, lower case (<c>etcd</c>, <c>redis</c>, <c>zk</c>, <c>file</c>, <c>memory</c>…).</summary>
    public string Scheme { get; }

    /// <summary>The user name, unescaped, if any.</summary>
    public string? UserName { get; }

    /// <summary>The password, unescaped, if any.</summary>
    public string? Password { get; }

    /// <summary>The hosts, in the order given.</summary>
    public IReadOnlyList<LockEndpoint> Endpoints { get; }

    /// <summary>The path after the hosts, unescaped, starting with <c>/</c>, or empty.</summary>
    public string Path { get; }

    /// <summary>The query parameters (keys compared without regard to case).</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    /// <summary>Parses a connection string.</summary>
    /// <exception cref="FormatException">The string is malformed; the message says where.</exception>
    public static LockConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var text = connectionString.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw new FormatException($"Connection string must start with a scheme such as 'etcd://', 'redis://', 'zk://', 'file://' or 'memory://'; got '{connectionString}'.");
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        if (!scheme.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '+' or '-' or '.'))
        {
            throw new FormatException($"Connection string scheme '{scheme}' is not a valid scheme name.");
        }

        var rest = text[(schemeEnd + 3)..];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0)
        {
            ParseQuery(rest[(queryStart + 1)..], parameters);
            rest = rest[..queryStart];
        }

        var pathStart = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = pathStart >= 0 ? rest[..pathStart] : rest;
        var path = pathStart >= 0 ? Uri.UnescapeDataString(rest[pathStart..]) : string.Empty;

        string? user = null;
        string? password = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            password = colon >= 0 ? Uri.UnescapeDataString(userInfo[(colon + 1)..]) : null;
        }

        var endpoints = new List<LockEndpoint>();
        if (authority.Length > 0)
        {
            foreach (var part in authority.Split(','))
            {
                endpoints.Add(ParseEndpoint(part.Trim(), connectionString));
            }
        }

        return new LockConnectionString(connectionString, scheme, user, password, endpoints, path, parameters);
    }

    /// <summary>Reads a string parameter.</summary>
    public string? GetString(string key)
    {
        _readParameters.Add(key);
        return _parameters.TryGetValue(key, out var value) ? value : null;
    }

    /// <summary>Reads a duration parameter (<c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, or seconds).</summary>
    /// <exception cref="FormatException">The value is not a duration.</exception>
    public TimeSpan? GetDuration(string key)
    {
        var value = GetString(key);
        return value is null ? null : ParseDuration(value, key);
    }

    /// <summary>Reads an integer parameter.</summary>
    /// <exception cref="FormatException">The value is not an integer.</exception>
    public int? GetInt32(string key)
    {
        var value = GetString(key);
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"Connection string parameter '{key}' must be an integer; got '{value}'.");
    }

    /// <summary>Reads a boolean parameter (<c>true</c>/<c>false</c>/<c>1</c>/<c>0</c>).</summary>
    /// <exception cref="FormatException">The value is not a boolean.</exception>
    public bool? GetBoolean(string key)
    {
        var value = GetString(key);
        return value?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new FormatException($"Connection string parameter '{key}' must be true or false; got '{value}'."),
        };
    }

    /// <summary>
    /// Throws if a parameter was given that no <c>Get…</c> call read, so a misspelt option is an error, not ignored.
    /// Call it after reading every parameter the backend knows.
    /// </summary>
    /// <exception cref="FormatException">An unknown parameter was given.</exception>
    public void ThrowOnUnknownParameters()
    {
        var unknown = _parameters.Keys.Where(k => !_readParameters.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            var known = _readParameters.Count == 0 ? "none" : string.Join(", ", _readParameters.Order(StringComparer.Ordinal));
            throw new FormatException($"Unknown connection string parameter '{unknown[0]}' for '{Scheme}://'; known: {known}.");
        }
    }

    /// <summary>Parses a duration: <c>250ms</c>, <c>10s</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, a plain number of seconds, or <c>hh:mm:ss</c>.</summary>
    /// <exception cref="FormatException">The text is not a duration.</exception>
    public static TimeSpan ParseDuration(string text, string what = "duration")
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 1.0),
            _ when t.EndsWith("us", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1000.0),
            _ when t.EndsWith('m') => (t[..^1], 60_000.0),
            _ when t.EndsWith('h') => (t[..^1], 3_600_000.0),
            _ => (t, 1000.0),
        };
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return TimeSpan.FromMilliseconds(value * scale);
        }

        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span))
        {
            return span;
        }

        throw new FormatException($"'{what}' must be a duration such as 500ms, 10s, 2m or 1h; got '{text}'.");
    }

    /// <inheritdoc/>
    public override string ToString() => Password is null ? Original : Original.Replace(":" + Password + "@", ":***@", StringComparison.Ordinal);

    private static LockEndpoint ParseEndpoint(string part, string original)
    {
        if (part.Length == 0)
        {
            throw new FormatException($"Connection string has an empty host in '{original}'.");
        }

        string host;
        string? portText = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Connection string host '{part}' has '[' without ']'.");
            }

            host = part[1..close];
            if (close + 1 < part.Length)
            {
                if (part[close + 1] != ':')
                {
                    throw new FormatException($"Connection string host '{part}' must be '[address]:port'.");
                }

                portText = part[(close + 2)..];
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon >= 0 ? part[..colon] : part;
            portText = colon >= 0 ? part[(colon + 1)..] : null;
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#' or '@'))
        {
            throw new FormatException($"Connection string host '{part}' is not a host name or address.");
        }

        int? port = null;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                throw new FormatException($"Connection string port must be a number from 1 to 65535; got '{portText}' in '{part}'.");
            }

            port = p;
        }

        return new LockEndpoint(host, port);
    }

    private static void ParseQuery(string query, Dictionary<string, string> parameters)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq >= 0 ? pair[..eq] : pair);
            var value = eq >= 0 ? Uri.UnescapeDataString(pair[(eq + 1)..]) : "true";
            if (key.Length == 0)
            {
                throw new FormatException($"Connection string has a parameter without a name: '{pair}'.");
            }

            if (!parameters.TryAdd(key, value))
            {
                throw new FormatException($"Connection string parameter '{key}' is given twice.");
            }
        }
    }
}
