using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>Connection strings of the shared test servers, each with a key prefix of its own.</summary>
internal static class RedisTestServer
{
    public static string Single(string prefix, string extra = "") => With(TestServers.Require("LATCHKEY_REDIS"), $"prefix={prefix}{extra}");

    public static string Redlock(string prefix) => With(TestServers.Require("LATCHKEY_REDLOCK"), $"prefix={prefix}");

    /// <summary>
    /// The connection string for the conformance suite's child processes, or <see langword="null"/> (skip) while the
    /// shared worker does not reference the Redis backend and so could not resolve <c>redis://</c>.
    /// </summary>
    public static string? ForWorker(string connectionString)
    {
        var deps = Path.Combine(AppContext.BaseDirectory, "Latchkey.Conformance.Worker.deps.json");
        return File.Exists(deps) && File.ReadAllText(deps).Contains("Latchkey.Redis", StringComparison.Ordinal) ? connectionString : null;
    }

    public static string NewPrefix(string hint) => $"lktest-{hint}-{Guid.NewGuid():N}:";

    public static string With(string connectionString, string parameters) =>
        connectionString + (connectionString.Contains('?', StringComparison.Ordinal) ? "&" : "?") + parameters;
}
