using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Latchkey.Backend;
using Latchkey.Embedded;

namespace Latchkey.Internal;

/// <summary>
/// Maps schemes to backend factories. The embedded backends are built in; the others register themselves:
/// each backend package adds a module initializer to the application that references it (see a backend's
/// <c>buildTransitive/</c>), which calls <see cref="Register"/> with no reflection. As a fallback, for
/// backends that come by project reference, the <see cref="LockBackendSchemeAttribute"/> of the
/// <c>Latchkey.*.dll</c> assemblies beside the application are scanned; the core never references a backend.
/// </summary>
internal static class BackendRegistry
{
    private static readonly ConcurrentDictionary<string, ILockBackendFactory> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["memory"] = new MemoryLockBackendFactory(),
        ["file"] = new FileLockBackendFactory(),
    };

    private static readonly Lock ScanGate = new();
    private static bool s_scanned;

    public static void Register(string scheme, ILockBackendFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        Factories[scheme] = factory;
    }

    public static ILockBackendFactory Find(string scheme)
    {
        if (Factories.TryGetValue(scheme, out var factory))
        {
            return factory;
        }

        // Every caller waits for the one scan: a concurrent caller must not miss a backend still being loaded.
        lock (ScanGate)
        {
            if (!s_scanned)
            {
                ScanBesideApplication();
                s_scanned = true;
            }
        }

        return Factories.TryGetValue(scheme, out factory)
            ? factory
            : throw new FormatException(
                $"No backend serves '{scheme}://'. Known: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal).Select(k => k + "://"))}. " +
                "Reference the Latchkey package of that backend (Latchkey.Etcd, Latchkey.Redis, Latchkey.ZooKeeper), which registers it when the " +
                "application starts, or call its Register() (EtcdBackend.Register(), RedisBackend.Register(), ZooKeeperBackend.Register()).");
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "A fallback for backends that came by project reference: a trimmed or single-file app has its backends registered by their packages, and a backend trimmed away is simply not found (the caller gets the FormatException that says how to register it).")]
    private static void ScanBesideApplication() => ScanAssemblies();

    // A backend that sits beside the application but is not in its deps.json (a child process started from
    // another app's directory, say) cannot be loaded by name; load it from its path instead.
    [RequiresUnreferencedCode("Loads backend assemblies from files.")]
    private static Assembly LoadBeside(AssemblyName name, string path)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (FileNotFoundException)
        {
            return System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }
    }

    private static IEnumerable<LockBackendSchemeAttribute> SchemesOf(Assembly assembly)
    {
        try
        {
            return assembly.GetCustomAttributes<LockBackendSchemeAttribute>();
        }
        catch (Exception ex) when (ex is FileLoadException or FileNotFoundException)
        {
            return []; // An assembly whose own attributes need dependencies this app lacks (a test assembly): not a backend.
        }
    }

    [RequiresUnreferencedCode("Loads backend assemblies from files.")]
    private static void ScanAssemblies()
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name?.StartsWith("Latchkey.", StringComparison.Ordinal) == true);
        var candidates = new List<Assembly>(loaded);
        foreach (var path in Directory.EnumerateFiles(AppContext.BaseDirectory, "Latchkey.*.dll"))
        {
            var name = AssemblyName.GetAssemblyName(path);
            if (candidates.Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name)))
            {
                continue;
            }

            try
            {
                candidates.Add(LoadBeside(name, path));
            }
            catch (Exception ex) when (ex is FileLoadException or BadImageFormatException or FileNotFoundException)
            {
                // Not a loadable backend (a test assembly of another framework, say): skip it.
            }
        }

        foreach (var attribute in candidates.SelectMany(SchemesOf))
        {
            if (Activator.CreateInstance(attribute.FactoryType) is ILockBackendFactory factory)
            {
                Factories.TryAdd(attribute.Scheme, factory);
            }
        }
    }
}
