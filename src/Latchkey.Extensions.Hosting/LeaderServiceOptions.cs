namespace Latchkey.Extensions.Hosting;

/// <summary>How a leader-elected service campaigns.</summary>
public sealed class LeaderServiceOptions
{
    /// <summary>The value this instance announces as leader (shown by <c>latchkey status</c>); by default the machine name and process id.</summary>
    public string? Value { get; set; }

    /// <summary>The provider registered under this key (<see cref="LatchkeyServiceCollectionExtensions.AddKeyedLatchkey(Microsoft.Extensions.DependencyInjection.IServiceCollection, object, string)"/>); <see langword="null"/> for the unkeyed one.</summary>
    public object? ProviderKey { get; set; }

    /// <summary>Lock options of the election (its TTL, say); <see langword="null"/> for the provider's defaults.</summary>
    public LockOptions? LockOptions { get; set; }

    /// <summary>How long to wait before campaigning again after the backend could not be reached or the service failed.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
