using QcowKit.Check;

namespace QcowKit.Tests.Check;

/// <summary>The checker's per-cluster arrays live outside the GC heap, small ones in plain pages, large ones advised as huge pages.</summary>
[TestFixture]
public sealed class ZeroedMemoryTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(4096)]
    [TestCase(300 << 10)]
    [TestCase((3 << 20) + 5)]
    public void Memory_starts_zeroed_and_keeps_what_is_written(int length)
    {
        using var memory = new ZeroedMemory(length);

        Assert.That(memory.Length, Is.EqualTo(length));
        Assert.That(memory.Span.Length, Is.EqualTo(length));
        Assert.That(memory.Span.ContainsAnyExcept((byte)0), Is.False);
        for (var i = 0; i < length; i += 4093) memory.Span[i] = (byte)(i % 251 + 1);
        for (var i = 0; i < length; i += 4093) Assert.That(memory.Span[i], Is.EqualTo((byte)(i % 251 + 1)));
    }

    [Test]
    public void Memory_cannot_be_used_after_it_is_freed()
    {
        var memory = new ZeroedMemory(512 << 10);
        memory.Dispose();
        memory.Dispose();

        Assert.Throws<ObjectDisposedException>(() => _ = memory.Span);
    }
}
