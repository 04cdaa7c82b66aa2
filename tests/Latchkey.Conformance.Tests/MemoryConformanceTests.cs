using Latchkey.Conformance;

namespace Latchkey.Conformance.Tests;

/// <summary>The conformance suite against <c>memory://</c>, each test in a space of its own.</summary>
public sealed class MemoryConformanceTests : LockConformanceSuite
{
    private readonly string _space = "conformance-" + Guid.NewGuid().ToString("N");

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect($"memory://{_space}"));
}
