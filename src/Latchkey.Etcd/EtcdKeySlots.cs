using System.Globalization;
using System.Numerics;
using Google.Protobuf;

namespace Latchkey.Etcd;

/// <summary>
/// Numbers the keys of one lease's acquisitions, per name: each takes the lowest number that no live acquisition
/// of that lease and name uses, so a name's keys are few (leases × acquisitions at once) instead of one per
/// acquisition ever made.
/// </summary>
/// <remarks>
/// Why not a fresh key per acquisition: etcd keeps a deleted key in its index until the store is compacted, and
/// every range or compare over a name walks all of them. With a fresh key each time, every request on a busy name
/// got slower with each acquisition: 64 contenders on one lock made ~410 cycles/s over 12 s where reused keys
/// make ~630 (docs/backends/etcd.md), and a lock taken every second for a month without compaction would walk
/// millions of dead keys per request.
/// <para>
/// A reused key must never meet a request meant for its previous use: a late delete would free a newer holder's
/// lock, a late put would leave a key behind. So a number comes back (<see cref="Return"/>) only once its key's
/// deletion was answered, and only if no request of the client was left in doubt since the acquisition began
/// (failed over, timed out, cancelled in flight: it may still be applied later). Otherwise the number stays taken
/// for the lease's life, a key no later acquisition uses.
/// </para>
/// </remarks>
internal sealed class EtcdKeySlots
{
    private readonly Dictionary<string, Slots> _byName = new(StringComparer.Ordinal);

    /// <summary>The names with a number taken now (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_byName)
            {
                return _byName.Count;
            }
        }
    }

    /// <summary>Takes the lowest free number for <paramref name="name"/> (its key prefix).</summary>
    public Slot Take(string name)
    {
        lock (_byName)
        {
            if (!_byName.TryGetValue(name, out var slots))
            {
                slots = new Slots(name);
                _byName.Add(name, slots);
            }

            return new Slot(slots, slots.TakeLowest());
        }
    }

    /// <summary>Frees a number whose key is gone for good. Once no number of the name is taken, its kept watches go.</summary>
    public void Return(Slot slot)
    {
        List<EtcdKeyWatch>? unused = null;
        lock (_byName)
        {
            if (slot.Set.Free(slot.Number))
            {
                _byName.Remove(slot.Set.Name);
                unused = slot.Set.TakeWatches();
            }
        }

        CancelAll(unused);
    }

    /// <summary>A number that stays taken for the lease's life (see <see cref="Return"/>): its key's watch goes now.</summary>
    public void Retire(Slot slot)
    {
        EtcdKeyWatch? watch;
        lock (_byName)
        {
            watch = slot.Set.Keep(slot.Number, null);
        }

        watch?.Cancel();
    }

    /// <summary>The watch kept for <paramref name="slot"/>'s key by an earlier acquisition, if any.</summary>
    public EtcdKeyWatch? KeptWatch(Slot slot)
    {
        lock (_byName)
        {
            return slot.Set.Kept(slot.Number);
        }
    }

    /// <summary>
    /// Keeps <paramref name="watch"/> for the later acquisitions of <paramref name="slot"/>'s number (the first 64
    /// numbers of a name only), cancelling the one it replaces. One not kept is cancelled by its acquisition.
    /// </summary>
    public void Keep(Slot slot, EtcdKeyWatch watch)
    {
        if (slot.Number >= 64)
        {
            return;
        }

        EtcdKeyWatch? replaced;
        lock (_byName)
        {
            replaced = slot.Set.Keep(slot.Number, watch);
        }

        replaced?.Cancel();
    }

    /// <summary>
    /// Whether <paramref name="watch"/>, <paramref name="slot"/>'s, stays for a later acquisition of its number as that
    /// acquisition ends: only while another number of the name is taken. Else the name's numbers and watches go with
    /// this one (<see cref="Return"/>), and it is no longer kept: its acquisition cancels it before deleting its key,
    /// so that etcd does not send that deletion to nobody.
    /// </summary>
    public bool KeepsForLater(Slot slot, EtcdKeyWatch watch)
    {
        lock (_byName)
        {
            if (slot.Set.Kept(slot.Number) != watch)
            {
                return false;
            }

            if (slot.Set.OnlyTaken(slot.Number))
            {
                slot.Set.Keep(slot.Number, null);
                return false;
            }

            return true;
        }
    }

    /// <summary>
    /// Lets a later waiter of this lease find <paramref name="lease"/>, the acquisition of <paramref name="slot"/>, by its
    /// key while the key is there, and follow it in the process (see <see cref="EtcdQueue"/>).
    /// </summary>
    public void MakeFollowable(Slot slot, EtcdLockAcquisition lease)
    {
        lock (_byName)
        {
            slot.Set.Follow(slot.Number, lease);
        }
    }

    /// <summary>Ends <see cref="MakeFollowable"/> for <paramref name="lease"/> (not for a later acquisition of the number).</summary>
    public void EndFollowable(Slot slot, EtcdLockAcquisition lease)
    {
        lock (_byName)
        {
            slot.Set.Unfollow(slot.Number, lease);
        }
    }

    /// <summary>
    /// The followable acquisition whose key is <paramref name="key"/>, if the key is one of this lease's
    /// (<c>{name}{leaseHex}-{number:x}</c>, the name ending in '/'); null otherwise. The caller still checks that it is
    /// the same acquisition (its create revision): a number's key serves one acquisition after another.
    /// </summary>
    public EtcdLockAcquisition? FollowableByKey(ByteString key, string leaseHex)
    {
        var text = key.ToStringUtf8();
        var dash = text.LastIndexOf('-');
        var nameEnd = dash - leaseHex.Length;
        if (nameEnd < 1 || text[nameEnd - 1] != '/' || string.CompareOrdinal(text, nameEnd, leaseHex, 0, leaseHex.Length) != 0
            || !int.TryParse(text.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        lock (_byName)
        {
            return _byName.TryGetValue(text[..nameEnd], out var slots) ? slots.Followable(number) : null;
        }
    }

    /// <summary>The lease is lost: no key of it will be used again, nor watched.</summary>
    public void CancelWatches()
    {
        var unused = new List<EtcdKeyWatch>();
        lock (_byName)
        {
            foreach (var slots in _byName.Values)
            {
                unused.AddRange(slots.TakeWatches());
            }
        }

        CancelAll(unused);
    }

    private static void CancelAll(List<EtcdKeyWatch>? watches)
    {
        foreach (var watch in watches ?? [])
        {
            watch.Cancel();
        }
    }

    /// <summary>One acquisition's number, and the set it came from.</summary>
    internal readonly record struct Slot(Slots Set, int Number);

    /// <summary>The numbers taken for one name: the first 64 as bits, any beyond in a set.</summary>
    internal sealed class Slots(string name)
    {
        private ulong _low;
        private HashSet<int>? _high;
        private EtcdKeyWatch?[]? _watches; // kept for the first 64 numbers
        private EtcdLockAcquisition? _firstFollowable; // number 0's: most names are held by one acquisition of a lease at a time
        private Dictionary<int, EtcdLockAcquisition>? _followable; // the other numbers'

        public string Name => name;

        public int TakeLowest()
        {
            if (_low != ulong.MaxValue)
            {
                var number = BitOperations.TrailingZeroCount(~_low);
                _low |= 1UL << number;
                return number;
            }

            _high ??= [];
            var next = 64;
            while (!_high.Add(next))
            {
                next++;
            }

            return next;
        }

        public EtcdLockAcquisition? Followable(int number) => number == 0 ? _firstFollowable : _followable?.GetValueOrDefault(number);

        public void Follow(int number, EtcdLockAcquisition lease)
        {
            if (number == 0)
            {
                _firstFollowable = lease;
            }
            else
            {
                (_followable ??= [])[number] = lease;
            }
        }

        public void Unfollow(int number, EtcdLockAcquisition lease)
        {
            if (number == 0)
            {
                if (_firstFollowable == lease)
                {
                    _firstFollowable = null;
                }
            }
            else if (_followable is not null && _followable.TryGetValue(number, out var followable) && followable == lease)
            {
                _followable.Remove(number);
            }
        }

        public EtcdKeyWatch? Kept(int number) => number < 64 ? _watches?[number] : null;

        /// <summary>Keeps <paramref name="watch"/> for <paramref name="number"/> (below 64); returns the one it replaces.</summary>
        public EtcdKeyWatch? Keep(int number, EtcdKeyWatch? watch)
        {
            if (number >= 64)
            {
                return null;
            }

            _watches ??= new EtcdKeyWatch?[64];
            var replaced = _watches[number];
            _watches[number] = watch;
            return replaced == watch ? null : replaced;
        }

        /// <summary>Removes every kept watch, for the caller to cancel.</summary>
        public List<EtcdKeyWatch> TakeWatches()
        {
            var taken = new List<EtcdKeyWatch>();
            for (var i = 0; _watches is not null && i < _watches.Length; i++)
            {
                if (_watches[i] is { } watch)
                {
                    taken.Add(watch);
                    _watches[i] = null;
                }
            }

            return taken;
        }

        /// <summary>Whether <paramref name="number"/> is the only number taken.</summary>
        public bool OnlyTaken(int number) =>
            number < 64 ? _low == 1UL << number && (_high is null || _high.Count == 0) : _low == 0 && _high is { Count: 1 } && _high.Contains(number);

        /// <summary>Frees <paramref name="number"/>; true when none is taken any more.</summary>
        public bool Free(int number)
        {
            if (number < 64)
            {
                _low &= ~(1UL << number);
            }
            else
            {
                _high?.Remove(number);
            }

            return _low == 0 && (_high is null || _high.Count == 0);
        }
    }
}
