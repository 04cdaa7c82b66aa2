using System.Globalization;
using System.Numerics;
using Google.Protobuf;

namespace Latchkey.Etcd;

/// <summary>
/// Names the keys of acquisitions: <c>{name}{lease hex}-{number hex}</c>. With key reuse (the
/// <see cref="EtcdOptimizations.KeyReuse"/> seam), each takes the lowest number that no live acquisition of that
/// lease and name uses, so a name's keys are few (leases × acquisitions at once) instead of one per acquisition
/// ever made; without it, each acquisition takes a number never used before.
/// </summary>
/// <remarks>
/// Why reuse: etcd keeps a deleted key in its index until the store is compacted, and every range or compare over
/// a name walks all of them. With a fresh key each time, every request on a busy name gets slower with each
/// acquisition (docs/backends/etcd.md has the figures), and a lock taken every second for a month without compaction
/// would walk millions of dead keys per request.
/// <para>
/// A reused key must never meet a request meant for its previous use: a late delete would free a newer holder's
/// lock, a late put would leave a key behind. So a number comes back (<see cref="Return"/>) only once its key's
/// deletion was answered, and only if no request of the client was left in doubt since the acquisition began
/// (failed over, timed out, cancelled in flight: it may still be applied later). Otherwise the number stays taken
/// for the lease's life (<see cref="Retire"/>), a key no later acquisition uses.
/// </para>
/// </remarks>
internal sealed class EtcdKeyNumbers(bool reuse, bool keepWatches)
{
    private readonly Dictionary<long, Dictionary<string, Numbers>> _byLease = []; // also the lock of every set
    private long _fresh = -1;

    /// <summary>The names with a number taken now, over every lease (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_byLease)
            {
                return _byLease.Values.Sum(names => names.Count);
            }
        }
    }

    /// <summary>A key for a new acquisition of <paramref name="lease"/> under <paramref name="name"/>, unique among the keys that exist at once.</summary>
    public EtcdKey NewKey(string name, EtcdLease lease)
    {
        if (!reuse)
        {
            return new EtcdKey(KeyOf(name, lease, Interlocked.Increment(ref _fresh)), null);
        }

        Numbers numbers;
        int number;
        var firstOfLease = false;
        lock (_byLease)
        {
            if (!_byLease.TryGetValue(lease.Id, out var names))
            {
                names = new Dictionary<string, Numbers>(StringComparer.Ordinal);
                _byLease.Add(lease.Id, names);
                firstOfLease = true;
            }

            if (!names.TryGetValue(name, out numbers!))
            {
                numbers = new Numbers(lease.Id, name);
                names.Add(name, numbers);
            }

            number = numbers.TakeLowest();
        }

        if (firstOfLease)
        {
            // Once the lease is lost, no key of it is used again, nor watched.
            var id = lease.Id;
            lease.LostToken.UnsafeRegister(_ => Forget(id), null);
        }

        return new EtcdKey(KeyOf(name, lease, number), new Slot(numbers, number));
    }

    /// <summary>Frees a number whose key is gone for good. Once no number of the name is taken, its kept watches go.</summary>
    public void Return(Slot? slot)
    {
        if (slot is not { } taken)
        {
            return;
        }

        List<EtcdKeyWatch>? unused = null;
        lock (_byLease)
        {
            if (taken.Set.Free(taken.Number))
            {
                if (_byLease.TryGetValue(taken.Set.LeaseId, out var names) && names.GetValueOrDefault(taken.Set.Name) == taken.Set)
                {
                    names.Remove(taken.Set.Name);
                }

                unused = taken.Set.Watches?.TakeAll();
            }
        }

        EtcdKeptWatches.CancelAll(unused);
    }

    /// <summary>A number that stays taken for the lease's life (see <see cref="Return"/>): its key's kept watch goes now.</summary>
    public void Retire(Slot? slot)
    {
        if (slot is not { } taken)
        {
            return;
        }

        EtcdKeyWatch? watch;
        lock (_byLease)
        {
            watch = taken.Set.Watches?.Keep(taken.Number, null);
        }

        watch?.Cancel();
    }

    /// <summary>The watch kept for <paramref name="slot"/>'s key by an earlier acquisition, if any.</summary>
    public EtcdKeyWatch? KeptWatch(Slot? slot)
    {
        if (slot is not { } taken)
        {
            return null;
        }

        lock (_byLease)
        {
            return taken.Set.Watches?.Kept(taken.Number);
        }
    }

    /// <summary>
    /// Keeps <paramref name="watch"/> for the later acquisitions of <paramref name="slot"/>'s number, cancelling the one
    /// it replaces; false if it cannot be kept (then its acquisition cancels it when done).
    /// </summary>
    public bool Keep(Slot? slot, EtcdKeyWatch watch)
    {
        if (!keepWatches || slot is not { } taken || !EtcdKeptWatches.Keeps(taken.Number))
        {
            return false;
        }

        EtcdKeyWatch? replaced;
        lock (_byLease)
        {
            replaced = taken.Set.KeepWatches().Keep(taken.Number, watch);
        }

        replaced?.Cancel();
        return true;
    }

    /// <summary>
    /// Whether <paramref name="watch"/>, <paramref name="slot"/>'s, stays for a later acquisition of its number as that
    /// acquisition ends: only while another number of the name is taken. Else the name's numbers and watches go with
    /// this one (<see cref="Return"/>), and it is no longer kept: its acquisition cancels it before deleting its key,
    /// so that etcd does not send that deletion to nobody.
    /// </summary>
    public bool KeepsForLater(Slot? slot, EtcdKeyWatch watch)
    {
        if (slot is not { } taken)
        {
            return false;
        }

        lock (_byLease)
        {
            if (taken.Set.Watches?.Kept(taken.Number) != watch)
            {
                return false;
            }

            if (taken.Set.OnlyTaken(taken.Number))
            {
                taken.Set.Watches.Keep(taken.Number, null);
                return false;
            }

            return true;
        }
    }

    private void Forget(long leaseId)
    {
        var unused = new List<EtcdKeyWatch>();
        lock (_byLease)
        {
            if (_byLease.Remove(leaseId, out var names))
            {
                foreach (var numbers in names.Values)
                {
                    unused.AddRange(numbers.Watches?.TakeAll() ?? []);
                }
            }
        }

        EtcdKeptWatches.CancelAll(unused);
    }

    private static ByteString KeyOf(string name, EtcdLease lease, long number) =>
        ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"{name}{lease.IdHex}-{number:x}"));

    /// <summary>One acquisition's number, and the set it came from.</summary>
    internal readonly record struct Slot(Numbers Set, int Number);

    /// <summary>The numbers taken for one name of one lease: the first 64 as bits, any beyond in a set. Guarded by the table's lock.</summary>
    internal sealed class Numbers(long leaseId, string name)
    {
        private ulong _low;
        private HashSet<int>? _high;

        public long LeaseId => leaseId;

        public string Name => name;

        /// <summary>The watches kept for this name's numbers: null until one is (most names never have a waiter).</summary>
        public EtcdKeptWatches? Watches { get; private set; }

        public EtcdKeptWatches KeepWatches() => Watches ??= new EtcdKeptWatches();

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

/// <summary>An acquisition's key, and its number when numbers are reused (<see cref="EtcdKeyNumbers"/>).</summary>
internal readonly record struct EtcdKey(ByteString Key, EtcdKeyNumbers.Slot? Slot);
