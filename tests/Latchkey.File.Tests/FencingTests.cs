using System.Buffers.Binary;

namespace Latchkey.File.Tests;

/// <summary>
/// Fencing tokens on disk. The layout these tests poke at (docs/backends/file.md): durable high-water
/// marks at bytes 0 and 512 (value, value ^ magic), the last token with the boot id at byte 1024.
/// </summary>
public sealed class FencingTests : FileTests
{
    private const long Block = 4096;

    [Fact]
    public async Task Token_SurvivesANewProvider_AndKeepsIncreasing()
    {
        long last;
        await using (var first = LockProvider.Connect(Uri))
        {
            await using var handle = await first.CreateLock("durable").AcquireAsync(cancellationToken: Ct);
            last = handle.FencingToken;
        }

        await using var second = LockProvider.Connect(Uri);
        for (var i = 0; i < 5; i++)
        {
            await using var handle = await second.CreateLock("durable").AcquireAsync(cancellationToken: Ct);
            Assert.Equal(last + 1, handle.FencingToken);
            last = handle.FencingToken;
        }
    }

    [Fact]
    public async Task Token_AfterAReboot_ResumesAboveTheDurableMark()
    {
        var last = await AcquireTokenAsync("reboot");

        // Another boot id in the live record is what a reboot looks like.
        await PatchAsync("reboot", 1024 + 8, [1, 2, 3, 4, 5, 6, 7, 8]);
        var next = await AcquireTokenAsync("reboot");
        Assert.True(next > last, $"{next} after {last}");
        Assert.True(next <= last + Block + 1, $"{next} jumped more than a block past {last}");
    }

    [Fact]
    public async Task Token_TornDurableCopy_NeverGoesBackwards()
    {
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            last = await AcquireTokenAsync("torn");
        }

        // Spoil one durable copy and the live record: the other copy still bounds every issued token.
        await PatchAsync("torn", 0, [0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8]);
        await PatchAsync("torn", 1024, [9, 9, 9, 9, 9, 9, 9, 9]);
        var next = await AcquireTokenAsync("torn");
        Assert.True(next > last, $"{next} after {last}");
    }

    [Fact]
    public async Task Token_EverythingGarbage_RestartsAboveAnyCount()
    {
        var last = await AcquireTokenAsync("garbage");
        var junk = Enumerable.Repeat((byte)0x5a, 1056).ToArray();
        await PatchAsync("garbage", 0, junk);
        var next = await AcquireTokenAsync("garbage");
        Assert.True(next > last, $"{next} after {last}");
        Assert.True(next > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() * 1000, "restarts above the wall clock in µs");
        Assert.True(await AcquireTokenAsync("garbage") == next + 1);
    }

    [Fact]
    public async Task Token_DurableMarkIsWrittenAheadOfTheTokens()
    {
        var token = await AcquireTokenAsync("mark");
        var bytes = await System.IO.File.ReadAllBytesAsync(LockFile("mark"), Ct);
        var a = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var b = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(512));
        Assert.True(Math.Max(a, b) >= token, $"durable mark {Math.Max(a, b)} below issued token {token}");
    }

    [Fact]
    public async Task Tokens_OfOneSemaphore_IncreaseAcrossPermitsAndProviders()
    {
        var tokens = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await using var provider = LockProvider.Connect(Uri);
            var semaphore = provider.CreateSemaphore("pool", 2);
            await using var first = await semaphore.AcquireAsync(cancellationToken: Ct);
            await using var second = await semaphore.AcquireAsync(cancellationToken: Ct);
            tokens.Add(first.FencingToken);
            tokens.Add(second.FencingToken);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    private string LockFile(string name) => Path.Combine(Dir.FullName, "lock", name + ".lock");

    private async Task<long> AcquireTokenAsync(string name)
    {
        await using var provider = LockProvider.Connect(Uri);
        await using var handle = await provider.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        return handle.FencingToken;
    }

    private async Task PatchAsync(string name, long offset, byte[] bytes)
    {
        using var file = System.IO.File.OpenHandle(LockFile(name), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        await RandomAccess.WriteAsync(file, bytes, offset, Ct);
    }
}
