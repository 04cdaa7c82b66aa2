using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Redis.Protocol;

/// <summary>One Lua script embedded in this assembly, run by <c>EVALSHA</c> under its SHA-1.</summary>
internal sealed class RedisScript
{
    private RedisScript(string name, string text)
    {
        Name = name;
        Text = text;
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by, not a security measure.
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    public string Name { get; }

    public string Text { get; }

    public byte[] Hash { get; }

    public static RedisScript Load(string name)
    {
        var resource = $"Latchkey.Redis.Scripts.{name}.lua";
        using var stream = typeof(RedisScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded script '{resource}' is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new RedisScript(name, reader.ReadToEnd());
    }

    public override string ToString() => Name;
}
