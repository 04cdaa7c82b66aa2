namespace Latchkey.Internal;

/// <summary>A primitive's validated name, escaped name and options.</summary>
internal sealed record PrimitiveSpec(string Name, string EscapedName, LockOptions Options);
