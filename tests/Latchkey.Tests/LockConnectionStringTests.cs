namespace Latchkey.Tests;

public sealed class LockConnectionStringTests
{
    [Fact]
    public void Parse_SeveralHostsUserAndQuery()
    {
        var cs = LockConnectionString.Parse("etcd://user:p%40ss@127.0.0.1:2379,127.0.0.2:2380/app?ttl=10s&prefix=x");
        Assert.Equal("etcd", cs.Scheme);
        Assert.Equal("user", cs.UserName);
        Assert.Equal("p@ss", cs.Password);
        Assert.Equal([new LockEndpoint("127.0.0.1", 2379), new LockEndpoint("127.0.0.2", 2380)], cs.Endpoints);
        Assert.Equal("/app", cs.Path);
        Assert.Equal(TimeSpan.FromSeconds(10), cs.GetDuration("ttl"));
        Assert.Equal("x", cs.GetString("PREFIX"));
        cs.ThrowOnUnknownParameters();
        Assert.DoesNotContain("p@ss", cs.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Ipv6AndDefaultPort()
    {
        var cs = LockConnectionString.Parse("redis://[::1]:6379,localhost");
        Assert.Equal(new LockEndpoint("::1", 6379), cs.Endpoints[0]);
        Assert.Equal(6380, cs.Endpoints[1].PortOr(6380));
    }

    [Fact]
    public void Parse_FilePath()
    {
        var cs = LockConnectionString.Parse("file:///var/lock/app");
        Assert.Empty(cs.Endpoints);
        Assert.Equal("/var/lock/app", cs.Path);
    }

    [Theory]
    [InlineData("no-scheme")]
    [InlineData("://x")]
    [InlineData("etcd://host:0")]
    [InlineData("etcd://host:65536")]
    [InlineData("etcd://host:port")]
    [InlineData("etcd://a,,b")]
    [InlineData("etcd://[::1")]
    [InlineData("etcd://h?ttl=1s&ttl=2s")]
    [InlineData("et cd://h")]
    public void Parse_Malformed_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => LockConnectionString.Parse(text));

    [Fact]
    public void ThrowOnUnknownParameters_NamesTheUnknownOne()
    {
        var cs = LockConnectionString.Parse("etcd://h?tll=5s");
        _ = cs.GetDuration("ttl");
        var error = Assert.Throws<FormatException>(cs.ThrowOnUnknownParameters);
        Assert.Contains("'tll'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("3", 3_000)]
    [InlineData("00:00:04", 4_000)]
    public void ParseDuration_Units(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), LockConnectionString.ParseDuration(text));

    [Theory]
    [InlineData("soon")]
    [InlineData("5 parsecs")]
    [InlineData("")]
    public void ParseDuration_Garbage_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => LockConnectionString.ParseDuration(text));

    [Theory]
    [InlineData("nosuch://x")]
    [InlineData("memory://a/b")]
    [InlineData("memory://?bogus=1")]
    public void Connect_UnknownSchemeOrBadMemoryString_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(text));
}
