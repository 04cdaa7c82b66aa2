using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>Registration as .NET apps expect: one unkeyed provider, keyed ones beside it, and no silent second registration.</summary>
public sealed class DependencyInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ASecondUnkeyedRegistration_IsAnError_NotIgnored()
    {
        var services = new ServiceCollection().AddLatchkey("memory://di-first");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddLatchkey("memory://di-second"));
        Assert.Contains("AddKeyedLatchkey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedConnectionString_FailsAtRegistration()
    {
        Assert.Throws<FormatException>(() => new ServiceCollection().AddLatchkey("://no-scheme"));
        Assert.Throws<FormatException>(() => new ServiceCollection().AddKeyedLatchkey("orders", "not a uri"));
    }

    [Fact]
    public async Task KeyedProviders_AreDistinct_FromEachOtherAndFromTheUnkeyedOne()
    {
        await using var container = new ServiceCollection()
            .AddLatchkey("memory://di-default")
            .AddKeyedLatchkey("orders", "memory://di-orders")
            .AddKeyedLatchkey("billing", "memory://di-orders")
            .BuildServiceProvider();
        var main = container.GetRequiredService<ILockProvider>();
        var orders = container.GetRequiredKeyedService<ILockProvider>("orders");
        var billing = container.GetRequiredKeyedService<ILockProvider>("billing");
        Assert.NotSame(main, orders);
        Assert.NotSame(orders, billing);
        Assert.Same(orders, container.GetRequiredKeyedService<ILockProvider>("orders"));

        // Two providers of one memory space share its locks; the default space is another.
        await using var held = await orders.AcquireAsync("job", TimeSpan.FromSeconds(5), Ct);
        Assert.Null(await billing.TryAcquireAsync("job", cancellationToken: Ct));
        await using var elsewhere = await main.TryAcquireAsync("job", cancellationToken: Ct);
        Assert.NotNull(elsewhere);
    }

    [Fact]
    public void ASecondRegistrationUnderOneKey_IsAnError()
    {
        var services = new ServiceCollection().AddKeyedLatchkey("orders", "memory://a");
        Assert.Throws<InvalidOperationException>(() => services.AddKeyedLatchkey("orders", "memory://b"));
    }
}
