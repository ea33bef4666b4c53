namespace QcowKit.Image;

/// <summary>
/// A bounded, thread-safe cache of decoded L2 tables keyed by host offset. Tables are immutable
/// once cached (readers may keep using a table after it is evicted); a writer replaces a table with
/// <see cref="Put"/> or drops it with <see cref="Invalidate"/>. Eviction is least recently used.
/// </summary>
internal sealed class L2TableCache
{
    private readonly Dictionary<long, Slot> _slots;
    private readonly Lock _lock = new();
    private long _clock;

    // Counts Put/Invalidate/Clear: a load that saw a different count may have read a table a writer has
    // since replaced on disk, so its result must not be cached.
    private long _writeGeneration;

    internal L2TableCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _slots = new Dictionary<long, Slot>(capacity);
    }

    internal int Capacity { get; }

    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>
    /// Returns the cached table at <paramref name="offset"/>, or loads it (outside the lock, so other lookups continue).
    /// A table a writer stores during the load wins over the loaded one; a load that overlapped any write is returned but not cached.
    /// </summary>
    internal ulong[] GetOrLoad(long offset, Func<long, ulong[]> load) => GetOrLoad(offset, load, static (at, loader) => loader(at));

    /// <summary>
    /// As <see cref="GetOrLoad(long, Func{long, ulong[]})"/>, with the loader's state passed in: a static
    /// loader allocates no closure on the per-cluster lookup path.
    /// </summary>
    internal ulong[] GetOrLoad<TState>(long offset, TState state, Func<long, TState, ulong[]> load)
    {
        long generationBeforeLoad;
        lock (_lock)
        {
            if (_slots.TryGetValue(offset, out var slot))
            {
                slot.LastUse = ++_clock;
                return slot.Table;
            }
            generationBeforeLoad = _writeGeneration;
        }
        var table = load(offset, state);
        lock (_lock)
        {
            // A writer's Put during the load holds the newer table: keep and return it rather than overwrite it.
            if (_slots.TryGetValue(offset, out var stored))
            {
                stored.LastUse = ++_clock;
                return stored.Table;
            }
            if (generationBeforeLoad == _writeGeneration)
            {
                Insert(offset, table);
            }
        }
        return table;
    }

    /// <summary>Stores (or replaces) a table.</summary>
    internal void Put(long offset, ulong[] table)
    {
        lock (_lock)
        {
            _writeGeneration++;
            if (_slots.TryGetValue(offset, out var existing))
            {
                existing.Table = table;
                existing.LastUse = ++_clock;
                return;
            }
            Insert(offset, table);
        }
    }

    internal void Invalidate(long offset)
    {
        lock (_lock)
        {
            _writeGeneration++;
            _slots.Remove(offset);
        }
    }

    internal void Clear()
    {
        lock (_lock)
        {
            _writeGeneration++;
            _slots.Clear();
        }
    }

    /// <summary>Adds a table that is not cached yet, evicting the least recently used one when full. Caller holds the lock.</summary>
    private void Insert(long offset, ulong[] table)
    {
        if (_slots.Count >= Capacity)
        {
            var victim = 0L;
            var oldest = long.MaxValue;
            foreach (var (key, candidate) in _slots)
            {
                if (candidate.LastUse < oldest)
                {
                    oldest = candidate.LastUse;
                    victim = key;
                }
            }
            _slots.Remove(victim);
        }
        _slots[offset] = new Slot(table, ++_clock);
    }

    private sealed class Slot(ulong[] table, long lastUse)
    {
        public ulong[] Table { get; set; } = table;

        public long LastUse { get; set; } = lastUse;
    }
}
