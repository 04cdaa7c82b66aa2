namespace Latchkey.Etcd;

/// <summary>
/// The <see cref="EtcdOptimizations.KeptWatches"/> seam: the watches on one name's reused keys
/// (<see cref="EtcdKeyNumbers"/>), kept from one acquisition of a number to the next. A busy queue so costs etcd
/// no watch created and cancelled per acquisition, only the event of each release's own delete, which nobody
/// hears. Only the first 64 numbers of a name keep theirs. Guarded by the lock of <see cref="EtcdKeyNumbers"/>.
/// </summary>
internal sealed class EtcdKeptWatches
{
    private const int Kept64 = 64;
    private readonly EtcdKeyWatch?[] _watches = new EtcdKeyWatch?[Kept64];

    /// <summary>Whether a watch of <paramref name="number"/>'s key may be kept.</summary>
    public static bool Keeps(int number) => number < Kept64;

    public EtcdKeyWatch? Kept(int number) => Keeps(number) ? _watches[number] : null;

    /// <summary>Keeps <paramref name="watch"/> for <paramref name="number"/>; returns the one it replaces.</summary>
    public EtcdKeyWatch? Keep(int number, EtcdKeyWatch? watch)
    {
        if (!Keeps(number))
        {
            return null;
        }

        var replaced = _watches[number];
        _watches[number] = watch;
        return replaced == watch ? null : replaced;
    }

    /// <summary>Removes every kept watch, for the caller to cancel outside the lock.</summary>
    public List<EtcdKeyWatch> TakeAll()
    {
        var taken = new List<EtcdKeyWatch>();
        for (var i = 0; i < _watches.Length; i++)
        {
            if (_watches[i] is { } watch)
            {
                taken.Add(watch);
                _watches[i] = null;
            }
        }

        return taken;
    }

    public static void CancelAll(List<EtcdKeyWatch>? watches)
    {
        foreach (var watch in watches ?? [])
        {
            watch.Cancel();
        }
    }
}
