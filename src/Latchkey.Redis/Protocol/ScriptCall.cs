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
    private uint _keysSet;
    private uint _argsSet;

    public ScriptCall(RedisScript script)
    {
        Script = script;
        _keys = new RedisKey[script.KeyNames.Count];
        _args = new RedisValue[script.ArgNames.Count];
    }

    public RedisScript Script { get; }

    /// <summary>Sets every key the script names from one primitive's keys (by the same names).</summary>
    public ScriptCall Keys(LockKeys keys)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = keys[Script.KeyNames[i]];
            _keysSet |= 1u << i;
        }

        return this;
    }

    public ScriptCall Key(string name, RedisKey key)
    {
        var i = IndexOf(Script.KeyNames, name, "key");
        _keys[i] = key;
        _keysSet |= 1u << i;
        return this;
    }

    public ScriptCall Arg(string name, RedisValue value)
    {
        var i = IndexOf(Script.ArgNames, name, "argument");
        _args[i] = value;
        _argsSet |= 1u << i;
        return this;
    }

    /// <summary>A copy, to change an argument for one server while the others keep theirs.</summary>
    public ScriptCall Copy()
    {
        var copy = new ScriptCall(Script);
        _keys.CopyTo(copy._keys, 0);
        _args.CopyTo(copy._args, 0);
        copy._keysSet = _keysSet;
        copy._argsSet = _argsSet;
        return copy;
    }

    /// <summary>The KEYS and ARGV in position.</summary>
    /// <exception cref="InvalidOperationException">A name of the script's table was not set.</exception>
    public (RedisKey[] Keys, RedisValue[] Args) ToArrays()
    {
        var key = FirstUnset(_keysSet, _keys.Length);
        var arg = FirstUnset(_argsSet, _args.Length);
        if (key >= 0 || arg >= 0)
        {
            var missing = key >= 0 ? $"key '{Script.KeyNames[key]}'" : $"argument '{Script.ArgNames[arg]}'";
            throw new InvalidOperationException($"Script '{Script.Name}' was called without its {missing}.");
        }

        return (_keys, _args);
    }

    private static int FirstUnset(uint set, int count)
    {
        var unset = ~set & (count == 32 ? uint.MaxValue : (1u << count) - 1);
        return unset == 0 ? -1 : System.Numerics.BitOperations.TrailingZeroCount(unset);
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
