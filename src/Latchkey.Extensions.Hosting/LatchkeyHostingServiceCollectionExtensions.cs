using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Latchkey.Extensions.Hosting;

/// <summary>Registers Latchkey providers from configuration, and leader-elected services.</summary>
public static class LatchkeyHostingServiceCollectionExtensions
{
    /// <summary>The configuration section read by convention: <c>Latchkey</c>.</summary>
    public const string SectionName = "Latchkey";

    /// <summary>
    /// Registers one <see cref="ILockProvider"/> bound from <paramref name="section"/> (its
    /// <see cref="LatchkeyOptions"/>: <c>ConnectionString</c> and <c>Settings</c>), checked when the host
    /// starts: a missing or malformed value stops start-up with a message that names the key.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section, e.g. <c>builder.Configuration.GetSection("Latchkey")</c>.</param>
    /// <exception cref="InvalidOperationException">An unkeyed provider is registered already.</exception>
    public static IServiceCollection AddLatchkey(this IServiceCollection services, IConfiguration section) =>
        services.AddLatchkey(Bind(services, Options.DefaultName, section));

    /// <summary>Registers an <see cref="ILockProvider"/> under <paramref name="serviceKey"/>, bound from <paramref name="section"/> and checked at start.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key to resolve the provider by.</param>
    /// <param name="section">The section, e.g. <c>builder.Configuration.GetSection("Latchkey:Orders")</c>.</param>
    /// <exception cref="InvalidOperationException">A provider is registered under this key already.</exception>
    public static IServiceCollection AddKeyedLatchkey(this IServiceCollection services, object serviceKey, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        return services.AddKeyedLatchkey(serviceKey, Bind(services, $"Latchkey:{serviceKey}", section));
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> on one instance of the fleet at a time: a hosted service campaigns
    /// in the election <paramref name="electionName"/>, runs the service while it leads, cancels it the moment
    /// leadership is lost, campaigns again, and resigns on a graceful stop so the next instance leads at once.
    /// Needs a registered <see cref="ILockProvider"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The election name is empty.</exception>
    public static IServiceCollection AddLeaderService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IServiceCollection services, string electionName, Action<LeaderServiceOptions>? configure = null)
        where TService : class, ILeaderService
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(electionName);
        var options = new LeaderServiceOptions();
        configure?.Invoke(options);
        services.TryAddScoped<TService>();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => new LeaderService<TService>(
            sp, electionName, options, sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<LeaderService<TService>>>()));
        return services;
    }

    private static Func<IServiceProvider, string> Bind(IServiceCollection services, string name, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var path = section is IConfigurationSection s ? s.Path : SectionName;
        services.AddOptions<LatchkeyOptions>(name).Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LatchkeyOptions>>(new LatchkeyOptionsValidator(name, path));
        return sp => sp.GetRequiredService<IOptionsMonitor<LatchkeyOptions>>().Get(name).ToConnectionString();
    }
}
