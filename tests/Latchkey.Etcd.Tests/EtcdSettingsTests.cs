namespace Latchkey.Etcd.Tests;

/// <summary>The internal <c>optimizations=</c> parameter, which the tests use to run the plain algorithm; no server.</summary>
public sealed class EtcdSettingsTests
{
    [Fact]
    public void Optimizations_AreAllOn_ByDefault() =>
        Assert.Equal(EtcdOptimizations.All, Parse("etcd://127.0.0.1:2379").Optimizations);

    [Theory]
    [InlineData("none", (int)EtcdOptimizations.None)]
    [InlineData("all", (int)EtcdOptimizations.All)]
    [InlineData("Batching,KeyReuse", (int)(EtcdOptimizations.Batching | EtcdOptimizations.KeyReuse))]
    [InlineData("lookahead", (int)EtcdOptimizations.LookAhead)]
    public void Optimizations_KeepOnOnlyThoseNamed(string value, int expected) =>
        Assert.Equal((EtcdOptimizations)expected, Parse($"etcd://127.0.0.1:2379?optimizations={value}").Optimizations);

    [Fact]
    public void Optimizations_WithAnUnknownName_IsRefusedNamingTheKnownOnes()
    {
        var error = Assert.Throws<FormatException>(() => Parse("etcd://127.0.0.1:2379?optimizations=turbo"));
        Assert.Contains("SecondWatch", error.Message, StringComparison.Ordinal);
    }

    private static EtcdSettings Parse(string connectionString) => EtcdSettings.Parse(LockConnectionString.Parse(connectionString));
}
