namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// The watchers registered on the session, by path (client paths), so events reach them and a reconnect
/// can re-register them with setWatches. One-shot, like the server's: an event removes what it fires.
/// </summary>
internal sealed class WatchTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _child = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Counts a request that may set a watch on <paramref name="path"/> until its reply is handled.</summary>
    public void BeginPending(string path)
    {
        lock (_lock)
        {
            _inFlight[path] = _inFlight.GetValueOrDefault(path) + 1;
        }
    }

    public void EndPending(string path)
    {
        lock (_lock)
        {
            var count = _inFlight.GetValueOrDefault(path) - 1;
            if (count <= 0)
            {
                _inFlight.Remove(path);
            }
            else
            {
                _inFlight[path] = count;
            }
        }
    }

    /// <summary>
    /// Forgets a watcher and says which of the server's watch tables no longer serve anyone of this session
    /// on that path (none while a request that may set a watch there is in flight).
    /// </summary>
    public bool Remove(string path, Action<WatchedEvent> watcher, out bool dataUnused, out bool childUnused)
    {
        lock (_lock)
        {
            var removed = Remove(path, watcher);
            var idle = !_inFlight.ContainsKey(path);
            dataUnused = removed && idle && !_data.ContainsKey(path) && !_exist.ContainsKey(path);
            childUnused = removed && idle && !_child.ContainsKey(path);
            return removed;
        }
    }

    public void Add(WatchKind kind, string path, Action<WatchedEvent> watcher)
    {
        lock (_lock)
        {
            var table = Table(kind);
            if (!table.TryGetValue(path, out var set))
            {
                set = [];
                table[path] = set;
            }

            set.Add(watcher);
        }
    }

    /// <summary>Forgets a watcher locally (the server may still send its event, which then reaches no one).</summary>
    public bool Remove(string path, Action<WatchedEvent> watcher)
    {
        lock (_lock)
        {
            var removed = false;
            foreach (var table in new[] { _data, _exist, _child })
            {
                if (table.TryGetValue(path, out var set) && set.Remove(watcher))
                {
                    removed = true;
                    if (set.Count == 0)
                    {
                        table.Remove(path);
                    }
                }
            }

            return removed;
        }
    }

    /// <summary>Removes and returns the watchers an event fires (the same rules as the server's WatchManager).</summary>
    public List<Action<WatchedEvent>> Take(WatchedEventType type, string path)
    {
        var fired = new List<Action<WatchedEvent>>();
        lock (_lock)
        {
            switch (type)
            {
                case WatchedEventType.NodeCreated or WatchedEventType.NodeDataChanged:
                    Move(_data, path, fired);
                    Move(_exist, path, fired);
                    break;
                case WatchedEventType.NodeChildrenChanged:
                    Move(_child, path, fired);
                    break;
                case WatchedEventType.NodeDeleted:
                    Move(_data, path, fired);
                    Move(_exist, path, fired);
                    Move(_child, path, fired);
                    break;
            }
        }

        return fired;
    }

    public List<Action<WatchedEvent>> TakeAll()
    {
        lock (_lock)
        {
            var all = _data.Values.Concat(_exist.Values).Concat(_child.Values).SelectMany(s => s).Distinct().ToList();
            _data.Clear();
            _exist.Clear();
            _child.Clear();
            return all;
        }
    }

    public (List<string> Data, List<string> Exist, List<string> Child) Paths()
    {
        lock (_lock)
        {
            return ([.. _data.Keys], [.. _exist.Keys], [.. _child.Keys]);
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _data.Count + _exist.Count + _child.Count;
            }
        }
    }

    private static void Move(Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, List<Action<WatchedEvent>> into)
    {
        if (table.Remove(path, out var set))
        {
            foreach (var watcher in set)
            {
                if (!into.Contains(watcher))
                {
                    into.Add(watcher);
                }
            }
        }
    }

    private Dictionary<string, HashSet<Action<WatchedEvent>>> Table(WatchKind kind) => kind switch
    {
        WatchKind.Data => _data,
        WatchKind.Exist => _exist,
        _ => _child,
    };
}
