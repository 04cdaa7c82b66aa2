namespace Latchkey.Tests;

public sealed class LockNameTests
{
    [Theory]
    [InlineData("simple", "simple")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a%2Fb", "a%252Fb")]
    [InlineData("..", "%2E.")]
    [InlineData(".hidden", "%2Ehidden")]
    [InlineData("v1.2", "v1.2")]
    [InlineData("{tag} x", "%7Btag%7D%20x")]
    [InlineData("ü", "%C3%BC")]
    public void Escape_GivesKeySafeText(string name, string escaped) => Assert.Equal(escaped, LockName.Escape(name));

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("名前 with space")]
    [InlineData("%41")]
    public void Unescape_ReversesEscape(string name) => Assert.Equal(name, LockName.Unescape(LockName.Escape(name)));

    [Fact]
    public void Escape_NeverContainsSeparatorsOrBraces()
    {
        var all = new string(Enumerable.Range(0x20, 0x60).Select(i => (char)i).ToArray());
        var escaped = LockName.Escape(all);
        Assert.DoesNotContain('/', escaped);
        Assert.DoesNotContain('{', escaped);
        Assert.DoesNotContain(' ', escaped);
        Assert.DoesNotContain(':', escaped);
    }

    [Fact]
    public void Validate_OversizedName_SaysSizeAndLimit()
    {
        var error = Assert.Throws<ArgumentException>(() => LockName.Validate(new string('x', 1500)));
        Assert.Contains("1–1024 UTF-8 bytes; got 1500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MultiByteNameAtLimit_IsAccepted() => LockName.Validate(new string('é', 512));

    [Fact]
    public void Validate_ControlCharacter_NamesIt()
    {
        var error = Assert.Throws<ArgumentException>(() => LockName.Validate("a\0b"));
        Assert.Contains("U+0000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SurrogatePair_IsAccepted() => LockName.Validate("emoji-😀");
}
