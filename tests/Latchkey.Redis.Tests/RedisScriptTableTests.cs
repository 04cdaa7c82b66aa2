using System.Text.RegularExpressions;
using Latchkey.Redis.Protocol;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>
/// Each script names its KEYS and ARGV in a table at its top (<c>local K = {owner = KEYS[1], …}</c>), and
/// <see cref="RedisScripts"/> lists the same names in the same order: callers set arguments by name, so the two
/// tables must agree, and the script must read its arguments only through its table.
/// </summary>
public sealed partial class RedisScriptTableTests
{
    public static TheoryData<string> Scripts => [.. RedisScripts.All.Where(s => s != RedisScripts.BatchLock).Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptTable_NamesKeysAndArgumentsAsTheCallersDo(string name)
    {
        var script = RedisScripts.All.Single(s => s.Name == name);
        var text = RedisScript.Read(name);

        Assert.Equal(Positions(script.KeyNames), Table(text, "KEYS"));
        Assert.Equal(Positions(script.ArgNames), Table(text, "ARGV"));
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_ReadsItsArgumentsOnlyThroughItsTable(string name)
    {
        var script = RedisScripts.All.Single(s => s.Name == name);
        var text = RedisScript.Read(name);

        Assert.Equal(script.KeyNames.Count, Regex.Count(text, @"KEYS\["));
        Assert.Equal(script.ArgNames.Count, Regex.Count(text, @"ARGV\["));
        foreach (Match use in Uses().Matches(text))
        {
            var names = use.Groups[1].Value == "K" ? script.KeyNames : script.ArgNames;
            Assert.True(names.Contains(use.Groups[2].Value), $"{name}.lua reads {use.Value}, which its table does not name.");
        }
    }

    [Fact]
    public void ScriptKeyNames_AreKeysOfAPrimitive()
    {
        var keys = new LockKeys("p:", LockKind.Lock, "n");
        foreach (var name in RedisScripts.All.SelectMany(s => s.KeyNames))
        {
            Assert.StartsWith(keys.Tag + ":", (string?)keys[name], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LockScripts_RunTheSharedLuaOnce()
    {
        var shared = RedisScript.Read("common") + RedisScript.Read("lock");
        foreach (var script in new[] { RedisScripts.AcquireLock, RedisScripts.ReleaseLock, RedisScripts.BatchLock })
        {
            Assert.StartsWith(shared, script.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("redis.call", script.Text[shared.Length..], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ScriptCall_WithAnArgumentLeftOut_FailsBeforeReachingRedis()
    {
        var call = RedisScripts.Proclaim.Call().Keys(new LockKeys("p:", LockKind.Election, "n")).Arg("holder", "a:1").Arg("channel", "c");

        var error = Assert.Throws<InvalidOperationException>(() => call.ToArrays());
        Assert.Contains("'value'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScriptCall_WithANameTheScriptDoesNotHave_FailsNamingTheRightOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => RedisScripts.Proclaim.Call().Arg("ttl", 1));
        Assert.Contains("holder, value, channel", error.Message, StringComparison.Ordinal);
    }

    private static List<(string Name, int Position)> Positions(IReadOnlyList<string> names) => [.. names.Select((n, i) => (n, i + 1))];

    private static List<(string Name, int Position)> Table(string text, string array) =>
        [.. Regex.Matches(text, $@"(\w+)\s*=\s*{array}\[(\d+)\]").Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"\b([KA])\.(\w+)")]
    private static partial Regex Uses();
}
