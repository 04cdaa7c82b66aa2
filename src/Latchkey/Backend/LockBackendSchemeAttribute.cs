using System.Diagnostics.CodeAnalysis;

namespace Latchkey.Backend;

/// <summary>
/// Declares on a backend assembly which connection-string scheme it serves, so that
/// <see cref="LockProvider.Connect"/> finds it without the core referencing the backend, in an application
/// whose backend assemblies sit beside it as files (not trimmed, not single-file). Registration by
/// <see cref="LockProvider.RegisterBackend"/> needs no such scan and works everywhere.
/// </summary>
/// <param name="scheme">The scheme, such as <c>etcd</c>.</param>
/// <param name="factoryType">A type with a public parameterless constructor that implements <see cref="ILockBackendFactory"/>.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class LockBackendSchemeAttribute(
    string scheme,
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type factoryType) : Attribute
{
    /// <summary>The scheme served.</summary>
    public string Scheme { get; } = scheme;

    /// <summary>The factory type.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type FactoryType { get; } = factoryType;
}
