namespace Latchkey.Cli.Tests;

/// <summary>The servers scripts/test-servers.sh starts, by environment variable; missing is a skip, but a failure in CI.</summary>
internal static class Servers
{
    public static string Require(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        Assert.True(
            !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
            $"{variable} is not set: in CI every backend's server must be running (see scripts/test-servers.sh).");
        Assert.Skip($"{variable} is not set; start the servers with scripts/test-servers.sh.");
        return string.Empty;
    }
}
