namespace Latchkey.Internal;

/// <summary>Locks taken together; see <see cref="IMultiLockHandle"/>.</summary>
internal sealed class MultiLockHandle(IReadOnlyList<ILockHandle> members) : IMultiLockHandle
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _lost;

    public IReadOnlyList<ILockHandle> Members { get; } = members;

    public string Name { get; } = string.Join(",", members.Select(m => m.Name));

    public long FencingToken => Members[0].FencingToken;

    public CancellationToken Lost
    {
        get
        {
            lock (_gate)
            {
                // Made on first use: most callers of a multi-lock never ask.
                _lost ??= CancellationTokenSource.CreateLinkedTokenSource([.. Members.Select(m => m.Lost)]);
                return _lost.Token;
            }
        }
    }

    public bool IsHeld => Members.All(m => m.IsHeld);

    public void ThrowIfNotHeld()
    {
        foreach (var member in Members)
        {
            member.ThrowIfNotHeld();
        }
    }

    /// <summary>Releases every member, newest first; reports the first failure after trying them all.</summary>
    public async ValueTask ReleaseAsync()
    {
        Exception? first = null;
        for (var i = Members.Count - 1; i >= 0; i--)
        {
            try
            {
                await Members[i].ReleaseAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Every member must be released; the first failure is reported once all were tried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                first ??= ex;
            }
        }

        lock (_gate)
        {
            _lost?.Dispose();
            _lost = null;
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Disposes every member (each logs and counts its own failed release); never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = Members.Count - 1; i >= 0; i--)
        {
            await Members[i].DisposeAsync().ConfigureAwait(false);
        }

        lock (_gate)
        {
            _lost?.Dispose();
            _lost = null;
        }
    }

    public override string ToString() => $"{Name} (tokens {string.Join(", ", Members.Select(m => m.FencingToken))})";
}
