using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task ReaderWriter_ReadersShare()
    {
        var name = UniqueName("rw");
        var other = await NewProviderAsync();
        await using var first = await Provider.CreateReaderWriterLock(name).AcquireReadAsync(Patience, TestCancellation);
        await using var second = await other.CreateReaderWriterLock(name).TryAcquireReadAsync(cancellationToken: TestCancellation);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task ReaderWriter_WriterExcludesReadersAndWriters()
    {
        var name = UniqueName("rw");
        var other = (await NewProviderAsync()).CreateReaderWriterLock(name);
        await using var writer = await Provider.CreateReaderWriterLock(name).AcquireWriteAsync(Patience, TestCancellation);
        Assert.Null(await other.TryAcquireReadAsync(cancellationToken: TestCancellation));
        Assert.Null(await other.TryAcquireWriteAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task ReaderWriter_ReaderExcludesWriter()
    {
        var name = UniqueName("rw");
        var other = (await NewProviderAsync()).CreateReaderWriterLock(name);
        await using var reader = await Provider.CreateReaderWriterLock(name).AcquireReadAsync(Patience, TestCancellation);
        Assert.Null(await other.TryAcquireWriteAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task ReaderWriter_WriterWaitsForReadersThenGetsIn()
    {
        var name = UniqueName("rw");
        var other = (await NewProviderAsync()).CreateReaderWriterLock(name);
        var reader = await Provider.CreateReaderWriterLock(name).AcquireReadAsync(Patience, TestCancellation);
        var writer = other.AcquireWriteAsync(Patience, TestCancellation).AsTask();
        AssertPending(writer, "a writer while a reader holds");
        await reader.ReleaseAsync();
        await using var held = await Within(writer, "writer after the reader left");
        Assert.True(held.FencingToken > reader.FencingToken, $"{held.FencingToken} after {reader.FencingToken}");
    }

    [Fact]
    public async Task ReaderWriter_WaitingWriterBlocksLaterReaders()
    {
        var name = UniqueName("rw");
        var writerProvider = (await NewProviderAsync()).CreateReaderWriterLock(name);
        var lateReader = (await NewProviderAsync()).CreateReaderWriterLock(name);
        var reader = await Provider.CreateReaderWriterLock(name).AcquireReadAsync(Patience, TestCancellation);
        var writer = writerProvider.AcquireWriteAsync(Patience, TestCancellation).AsTask();
        await WaitForStatusAsync(LockKind.ReaderWriter, name, s => s.Waiters.Count == 1, "the writer to queue");
        Assert.Null(await lateReader.TryAcquireReadAsync(cancellationToken: TestCancellation));
        await reader.ReleaseAsync();
        await using var held = await Within(writer, "writer after the reader left");
    }

    [Fact]
    public async Task ReaderWriter_UnderContention_WritersNeverOverlapAnyone()
    {
        var name = UniqueName("rw");
        var providers = new[] { Provider, await NewProviderAsync() };
        var readers = 0;
        var writers = 0;
        var violations = 0;

        async Task Work(ILockProvider provider, bool write)
        {
            var rw = provider.CreateReaderWriterLock(name);
            for (var i = 0; i < ContentionIterations / 2; i++)
            {
                if (write)
                {
                    await using var handle = await rw.AcquireWriteAsync(Patience, TestCancellation);
                    if (Interlocked.Increment(ref writers) != 1 || Volatile.Read(ref readers) != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    await Task.Yield();
                    Interlocked.Decrement(ref writers);
                }
                else
                {
                    await using var handle = await rw.AcquireReadAsync(Patience, TestCancellation);
                    Interlocked.Increment(ref readers);
                    if (Volatile.Read(ref writers) != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    await Task.Yield();
                    Interlocked.Decrement(ref readers);
                }
            }
        }

        var work = providers.SelectMany(p => new[] { true, false, false }.Select(write => Task.Run(() => Work(p, write))));
        await Within(Task.WhenAll(work), "the reader-writer contention run");
        Assert.Equal(0, violations);
        await AssertNothingLeftAsync(LockKind.ReaderWriter, name);
    }
}
