namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 item 1: a typo is a usage error naming it; everything after <c>--</c> is the command's.</summary>
public sealed class StrictParsingTests
{
    [Theory]
    [InlineData(new[] { "run", "deploy", "--no-wiat", "--", "true" }, "--no-wiat", "--no-wait")]
    [InlineData(new[] { "status", "foo", "--jsno" }, "--jsno", "--json")]
    [InlineData(new[] { "run", "deploy", "--timout", "5s", "--", "true" }, "--timout", "--timeout")]
    [InlineData(new[] { "elect", "leader", "--vlaue", "x", "--", "true" }, "--vlaue", "--value")]
    [InlineData(new[] { "bench", "--contendres", "2" }, "--contendres", "--contenders")]
    [InlineData(new[] { "rnu", "x", "--", "true" }, "rnu", "run")]
    public async Task AnUnknownOption_Exits64_NamingItAndTheNearestOption(string[] args, string given, string suggestion)
    {
        var result = await Cli.RunAsync(args);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains($"'{given}'", result.Error);
        Assert.Contains($"did you mean '{suggestion}'", result.Error);
    }

    [Fact]
    public async Task AnUnknownOption_DoesNotRunTheCommand()
    {
        using var scratch = new Scratch();

        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend(), "--zzzzzz", "--", "touch", scratch.File("ran")]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("unknown option '--zzzzzz'.", result.Error);
        Assert.False(File.Exists(scratch.File("ran")));
    }

    [Fact]
    public async Task AStrayArgumentBeforeTheSeparator_Exits64()
    {
        var result = await Cli.RunAsync(["run", "x", "make", "--backend", Cli.NewMemoryBackend(), "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("'make'", result.Error);
    }

    [Fact]
    public async Task EverythingAfterTheSeparator_PassesThroughUntouched()
    {
        using var scratch = new Scratch();

        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend(), "--", "sh", "-c", "printf '%s|' \"$@\" > \"$0\"", scratch.File("args"), "--no-wiat", "-w", "--", "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("--no-wiat|-w|--|--help|", await File.ReadAllTextAsync(scratch.File("args")));
    }

    [Fact]
    public async Task Version_PrintsTheVersion_Exits0()
    {
        var result = await Cli.RunAsync(["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Output.Trim());
    }

    [Theory]
    [InlineData("--timeout", "1x")]
    [InlineData("--ttl", "soon")]
    public async Task ABadDuration_NamesTheOption(string option, string value)
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend(), option, value, "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains(option, result.Error);
        Assert.DoesNotContain("'duration'", result.Error);
    }

    [Theory]
    [InlineData("1m30s", 90_000)]
    [InlineData("2h15m", 8_100_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("250ms", 250)]
    [InlineData("10", 10_000)]
    [InlineData("1h0m0.5s", 3_600_500)]
    public void CompoundDurations_AreRead(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationConverter.Parse(text, "--timeout"));

    [Theory]
    [InlineData("1m30")]
    [InlineData("m")]
    [InlineData("1q")]
    [InlineData("")]
    public void MalformedDurations_AreRefused(string text) =>
        Assert.Throws<FormatException>(() => DurationConverter.Parse(text, "--timeout"));
}
