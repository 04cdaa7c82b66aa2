using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Redis.Protocol;

/// <summary>
/// One Lua script embedded in this assembly, run by <c>EVALSHA</c> under its SHA-1, with its arguments named:
/// <see cref="KeyNames"/> and <see cref="ArgNames"/> give each KEYS and ARGV position a name, and the script opens
/// with the same table (<c>local K = {owner = KEYS[1], …}</c>, <c>local A = {…}</c>); a test checks the two agree.
/// </summary>
internal sealed class RedisScript
{
    private RedisScript(string name, string text, string[] keyNames, string[] argNames)
    {
        // A call marks the names it was given in one 32-bit mask per table.
        if (keyNames.Length > 32 || argNames.Length > 32)
        {
            throw new ArgumentException($"Script '{name}' names {keyNames.Length} keys and {argNames.Length} arguments; at most 32 of each.", nameof(keyNames));
        }

        Name = name;
        Text = text;
        KeyNames = keyNames;
        ArgNames = argNames;
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by, not a security measure.
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    public string Name { get; }

    /// <summary>The text sent to Redis: the script, after the shared functions it includes.</summary>
    public string Text { get; }

    public byte[] Hash { get; }

    /// <summary>KEYS by position: <c>KEYS[i + 1]</c> is named <c>KeyNames[i]</c>.</summary>
    public IReadOnlyList<string> KeyNames { get; }

    /// <summary>ARGV by position: <c>ARGV[i + 1]</c> is named <c>ArgNames[i]</c>.</summary>
    public IReadOnlyList<string> ArgNames { get; }

    /// <summary>Loads <c>Scripts/&lt;name&gt;.lua</c>, after the text of each script it <paramref name="includes"/> (shared Lua functions).</summary>
    public static RedisScript Load(string name, string[] keys, string[] args, params string[] includes) =>
        new(name, string.Concat(includes.Select(Read).Append(Read(name))), keys, args);

    /// <summary>Starts a call of this script, its arguments to be given by name.</summary>
    public ScriptCall Call() => new(this);

    public override string ToString() => Name;

    /// <summary>The text of one embedded script file.</summary>
    public static string Read(string name)
    {
        var resource = $"Latchkey.Redis.Scripts.{name}.lua";
        using var stream = typeof(RedisScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded script '{resource}' is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
