using Xunit;

namespace Latchkey.Conformance;

/// <summary>Addresses of the servers that ./test.sh (scripts/test-servers.sh) starts, read from the environment.</summary>
public static class TestServers
{
    /// <summary>
    /// Returns the connection string in <paramref name="variable"/> (such as LATCHKEY_ETCD). When it is not
    /// set the test is skipped, except in CI (CI=true), where a missing server is a failure.
    /// </summary>
    public static string Require(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{variable} is not set: in CI every backend's server must be running (see scripts/test-servers.sh).");
        }

        Assert.Skip($"{variable} is not set; run ./test.sh to start the servers.");
        return string.Empty;
    }
}
