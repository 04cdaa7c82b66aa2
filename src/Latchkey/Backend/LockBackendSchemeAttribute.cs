namespace Latchkey.Backend;

/// <summary>
/// Declares on a backend assembly which connection-string scheme it serves, so that
/// <see cref="LockProvider.Connect"/> finds it without the core referencing the backend.
/// </summary>
/// <param name="scheme">The scheme, such as <c>etcd</c>.</param>
/// <param name="factoryType">A type with a public parameterless constructor that implements <see cref="ILockBackendFactory"/>.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class LockBackendSchemeAttribute(string scheme, Type factoryType) : Attribute
{
    /// <summary>The scheme served.</summary>
    public string Scheme { get; } = scheme;

    /// <summary>The factory type.</summary>
    public Type FactoryType { get; } = factoryType;
}
