using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>Connection strings of the shared test servers, each with a key prefix of its own.</summary>
internal static class RedisTestServer
{
    public static string Single(string prefix, string extra = "") => With(TestServers.Require("LATCHKEY_REDIS"), $"prefix={prefix}{extra}");

    public static string Redlock(string prefix) => With(TestServers.Require("LATCHKEY_REDLOCK"), $"prefix={prefix}");

    /// <summary>Malformed <c>redis://</c> strings for the conformance suite.</summary>
    public static IEnumerable<string> Malformed =>
        ["redis://", "redis://127.0.0.1:99999", "redis://a:1,b:2", "redis://a:1?mode=cluster", "redis://a:1?bogus=1", "redis://a:1/not-a-db", "redis://a:1,b:2?mode=redlock"];

    /// <summary>A loopback port where nothing listens (port 1 is reserved and never bound here).</summary>
    public static string Unreachable(string extra = "") => $"redis://127.0.0.1:1{extra}?connectTimeout=1s";

    public static string NewPrefix(string hint) => $"lktest-{hint}-{Guid.NewGuid():N}:";

    public static string With(string connectionString, string parameters) =>
        connectionString + (connectionString.Contains('?', StringComparison.Ordinal) ? "&" : "?") + parameters;
}
