namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 item 5: no password in anything the CLI prints; credentials from the environment or a file.</summary>
public sealed class SecretsTests
{
    private const string Password = "S3cretPw-7q";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Servers_ => new() { "LATCHKEY_REDIS", "LATCHKEY_ZK", "LATCHKEY_ETCD" };

    [Theory]
    [MemberData(nameof(Servers_))]
    public async Task NoOutput_OfARunWithAPassword_ContainsIt(string server)
    {
        var backend = WithPassword(Servers.Require(server));
        using var scratch = new Scratch();
        var name = "cli-secret-" + Guid.NewGuid().ToString("N");
        string[][] commands =
        [
            ["status", name, "--backend", backend],
            ["status", name, "--json", "--backend", backend],
            ["run", name, "--backend", backend, "--", "true"],
            ["run", name, "--ttl", "9s", "--backend", backend + (backend.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "nosuchparameter=1", "--", "true"],
            ["elect", name, "--timeout", "5s", "--backend", backend, "--", "true"],
            ["bench", "--backend", backend, "--contenders", "1", "--duration", "200ms", "--warmup", "0ms", "--json", scratch.File("bench.json")],
            ["run", name, "--backend", WithPassword("redis://127.0.0.1:1?connectTimeout=1s"), "--", "true"],
            ["run", name, "--backend", WithPassword("etcd://127.0.0.1:1?connectTimeout=1s"), "--", "true"],
            ["run", name, "--backend", WithPassword("zk://127.0.0.1:1?connectTimeout=1s"), "--", "true"],
        ];

        foreach (var command in commands)
        {
            var result = await Cli.RunAsync(command);
            Assert.DoesNotContain(Password, result.ToString());
            Assert.DoesNotContain(Uri.EscapeDataString(Password), result.ToString());
        }

        // etcd's test server has no auth enabled, so there the bench refuses the user and writes no figures.
        if (File.Exists(scratch.File("bench.json")))
        {
            Assert.DoesNotContain(Password, await File.ReadAllTextAsync(scratch.File("bench.json")));
        }
    }

    [Fact]
    public async Task TheRedisUnavailableMessage_DoesNotGiveStackExchangeRedisAdvice()
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", "redis://127.0.0.1:1?connectTimeout=1s", "--", "true"]);

        Assert.Equal(69, result.ExitCode);
        Assert.Contains("unavailable", result.Error);
        Assert.DoesNotContain("abortConnect", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ThePassword_ComesFromTheEnvironment_AndIsMasked()
    {
        var backend = Servers.Require("LATCHKEY_REDIS");

        var result = await LatchkeyProcess.RunToEndAsync(
            ["status", "cli-env-secret", "--backend", backend], new Dictionary<string, string> { [Credentials.PasswordVariable] = Password }, Limit);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(":***@", result.Output);
        Assert.DoesNotContain(Password, result.ToString());
    }

    [Fact]
    public void ThePassword_ComesFromAFile_AndIsEscaped()
    {
        using var scratch = new Scratch();
        File.WriteAllText(scratch.File("pw"), "p@ss:w/rd\nsecond line ignored\n");

        var backend = Credentials.Apply("redis://127.0.0.1:6379", scratch.File("pw"));

        Assert.Equal("p@ss:w/rd", LockConnectionString.Parse(backend).Password);
        Assert.DoesNotContain("p@ss", Secrets.Display(backend));
        Assert.DoesNotContain("p%40ss", Secrets.Display(backend));
    }

    [Fact]
    public void APasswordFile_AndAPasswordInTheUri_AreAUsageError()
    {
        using var scratch = new Scratch();
        File.WriteAllText(scratch.File("pw"), "x");

        Assert.Throws<FormatException>(() => Credentials.Apply("redis://:other-pw@127.0.0.1:6379", scratch.File("pw")));
    }

    private static string WithPassword(string backend) => backend.Replace("://", $"://user:{Password}@", StringComparison.Ordinal);
}
