using QcowKit.Image;

namespace QcowKit.Tests.Reading;

/// <summary>
/// The cache loads tables outside its lock; these tests interleave a writer inside the loader, which is exactly
/// the window a concurrent writer hits, so the race is reproduced without timing.
/// </summary>
public class L2TableCacheTests
{
    private const long TableOffset = 0x30000;

    [Test]
    public void A_table_put_by_a_writer_during_a_load_is_not_overwritten_by_the_loaded_table()
    {
        var cache = new L2TableCache(4);
        ulong[] stale = [1, 2, 3];
        ulong[] written = [7, 8, 9];

        var returned = cache.GetOrLoad(TableOffset, offset =>
        {
            cache.Put(offset, written);
            return stale;
        });

        Assert.That(returned, Is.SameAs(written), "the load returns the writer's table, the newer one");
        Assert.That(cache.GetOrLoad(TableOffset, _ => throw new AssertionException("table should be cached")), Is.SameAs(written));
    }

    [Test]
    public void A_table_invalidated_by_a_writer_during_a_load_is_not_cached_from_the_stale_load()
    {
        var cache = new L2TableCache(4);
        ulong[] stale = [1, 2, 3];
        ulong[] reloaded = [7, 8, 9];

        cache.GetOrLoad(TableOffset, offset =>
        {
            cache.Invalidate(offset);
            return stale;
        });

        Assert.That(cache.GetOrLoad(TableOffset, _ => reloaded), Is.SameAs(reloaded), "the next lookup reads the table again");
    }

    [Test]
    public void A_cache_cleared_during_a_load_does_not_keep_the_stale_load()
    {
        var cache = new L2TableCache(4);
        ulong[] stale = [1, 2, 3];
        ulong[] reloaded = [7, 8, 9];

        cache.GetOrLoad(TableOffset, _ =>
        {
            cache.Clear();
            return stale;
        });

        Assert.That(cache.GetOrLoad(TableOffset, _ => reloaded), Is.SameAs(reloaded));
    }

    [Test]
    public void A_load_with_no_concurrent_write_is_cached()
    {
        var cache = new L2TableCache(4);
        ulong[] loaded = [1, 2, 3];

        cache.GetOrLoad(TableOffset, _ => loaded);

        Assert.That(cache.GetOrLoad(TableOffset, _ => throw new AssertionException("table should be cached")), Is.SameAs(loaded));
    }
}
