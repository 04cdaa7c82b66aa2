using Latchkey.Backend;

namespace Latchkey.Internal;

internal sealed class Leadership(LockProvider provider, string name, string value, LockAcquisition lease, ReentrantEntry? entry, ReentrancyTable? table)
    : LockHandle(provider, LockKind.Election, name, lease, entry, table), ILeadership
{
    private string _value = value;

    public string Value => Volatile.Read(ref _value);

    public async ValueTask ProclaimAsync(string value, CancellationToken cancellationToken = default)
    {
        LeaderElection.ValidateValue(value);
        if (IsReleased)
        {
            throw new InvalidOperationException($"Leadership of '{Name}' was resigned; campaign again to proclaim.");
        }

        if (Lost.IsCancellationRequested)
        {
            throw new LockLostException($"Leadership of '{Name}' was lost.");
        }

        await Lease.ProclaimAsync(value, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _value, value);
    }

    public ValueTask ResignAsync() => ReleaseAsync();
}
