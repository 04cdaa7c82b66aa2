using StackExchange.Redis;

namespace Latchkey.Redis.Protocol;

/// <summary>
/// The KEYS and ARGV of one call of a <see cref="RedisScript"/>, set by name and placed by the script's table,
/// so no caller counts positions. Sending a call with a name left unset fails before it reaches Redis.
/// </summary>
internal sealed class ScriptCall
{
    private readonly RedisKey[] _keys;
    private readonly RedisValue[] _args;
    private readonly bool[] _keySet;
    private readonly bool[] _argSet;

    public ScriptCall(RedisScript script)
    {
        Script = script;
        _keys = new RedisKey[script.KeyNames.Count];
        _args = new RedisValue[script.ArgNames.Count];
        _keySet = new bool[_keys.Length];
        _argSet = new bool[_args.Length];
    }

    public RedisScript Script { get; }

    /// <summary>Sets every key the script names from one primitive's keys (by the same names).</summary>
    public ScriptCall Keys(LockKeys keys)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = keys[Script.KeyNames[i]];
            _keySet[i] = true;
        }

        return this;
    }

    public ScriptCall Key(string name, RedisKey key)
    {
        var i = IndexOf(Script.KeyNames, name, "key");
        _keys[i] = key;
        _keySet[i] = true;
        return this;
    }

    public ScriptCall Arg(string name, RedisValue value)
    {
        var i = IndexOf(Script.ArgNames, name, "argument");
        _args[i] = value;
        _argSet[i] = true;
        return this;
    }

    /// <summary>A copy, to change an argument for one server while the others keep theirs.</summary>
    public ScriptCall Copy()
    {
        var copy = new ScriptCall(Script);
        _keys.CopyTo(copy._keys, 0);
        _args.CopyTo(copy._args, 0);
        _keySet.CopyTo(copy._keySet, 0);
        _argSet.CopyTo(copy._argSet, 0);
        return copy;
    }

    /// <summary>The KEYS and ARGV in position.</summary>
    /// <exception cref="InvalidOperationException">A name of the script's table was not set.</exception>
    public (RedisKey[] Keys, RedisValue[] Args) ToArrays()
    {
        var key = Array.IndexOf(_keySet, false);
        var arg = Array.IndexOf(_argSet, false);
        if (key >= 0 || arg >= 0)
        {
            var missing = key >= 0 ? $"key '{Script.KeyNames[key]}'" : $"argument '{Script.ArgNames[arg]}'";
            throw new InvalidOperationException($"Script '{Script.Name}' was called without its {missing}.");
        }

        return (_keys, _args);
    }

    private int IndexOf(IReadOnlyList<string> names, string name, string what)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"Script '{Script.Name}' has no {what} named '{name}'; it has: {string.Join(", ", names)}.", nameof(name));
    }
}
