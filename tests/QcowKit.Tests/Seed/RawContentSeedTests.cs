using QcowKit.Seed;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Seed;

public sealed class RawContentSeedTests
{
    private const int Block = 4096;

    [Test]
    public void Raw_image_is_copied_at_the_offset_and_its_zero_blocks_are_not_written()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("source.raw");
        var bytes = new byte[64 * Block];
        new Random(3).NextBytes(bytes);
        for (var block = 0; block < 64; block += 2) Array.Clear(bytes, block * Block, Block);
        File.WriteAllBytes(source, bytes);
        var image = temp.File("disk.img");

        var result = QcowSeeder.CopyImage(image, new ImageCopySeedOptions { SourcePath = source, TargetOffset = 1024 * 1024 },
            new SeedTargetOptions { Size = 4 * 1024 * 1024 });

        Assert.That(result.BytesWritten, Is.EqualTo(32 * Block));
        Assert.That(result.BytesSkipped, Is.EqualTo(32 * Block));
        var disk = File.ReadAllBytes(image);
        Assert.That(disk.AsSpan(1024 * 1024, bytes.Length).SequenceEqual(bytes), Is.True);
        Assert.That(disk.AsSpan(0, 1024 * 1024).ContainsAnyExcept((byte)0), Is.False);
        Assert.That(Qemu.Info(image)["actual-size"]!.GetValue<long>(), Is.LessThan(disk.Length / 2), "the raw target stays sparse");
    }

    [Test]
    public void Copy_past_the_end_of_the_disk_is_rejected_before_writing()
    {
        using var temp = new TempDirectory("seed");
        var source = temp.File("source.raw");
        File.WriteAllBytes(source, new byte[8192]);
        var image = temp.File("disk.img");

        var error = Assert.Throws<SeedException>(() => QcowSeeder.CopyImage(image,
            new ImageCopySeedOptions { SourcePath = source, TargetOffset = 4096 }, new SeedTargetOptions { Size = 8192 }));

        Assert.That(error!.Message, Does.Contain("past the end"));
        Assert.That(File.Exists(image), Is.False);
    }

    [Test]
    public void Generated_data_is_the_same_for_the_same_seed_and_verifiable_by_range()
    {
        using var temp = new TempDirectory("seed");
        var options = new GeneratedDataSeedOptions { Seed = 42, Length = 3 * 1024 * 1024 + 512, TargetOffset = 8192, ZeroBlockPercent = 30 };

        var first = QcowSeeder.WriteGeneratedData(temp.File("a.img"), options);
        QcowSeeder.WriteGeneratedData(temp.File("b.img"), options);
        QcowSeeder.WriteGeneratedData(temp.File("c.img"), new GeneratedDataSeedOptions { Seed = 43, Length = options.Length, TargetOffset = 512 });

        Assert.That(Hashing.Sha256OfFile(temp.File("b.img")), Is.EqualTo(Hashing.Sha256OfFile(temp.File("a.img"))));
        Assert.That(Hashing.Sha256OfFile(temp.File("c.img")), Is.Not.EqualTo(Hashing.Sha256OfFile(temp.File("a.img"))));
        Assert.That(first.BytesSkipped, Is.InRange(options.Length / 5, options.Length * 2 / 5), "about 30% zero blocks");
        var disk = File.ReadAllBytes(temp.File("a.img"));
        var expected = new byte[10_000];
        QcowSeeder.FillGeneratedData(options, 1_234_567, expected);
        Assert.That(disk.AsSpan(8192 + 1_234_567, expected.Length).SequenceEqual(expected), Is.True);
    }

    [Test]
    public void Sparse_writer_skips_zero_blocks_on_a_zeroed_disk_and_clears_only_dirty_blocks_otherwise()
    {
        var content = new byte[4 * Block];
        content[Block + 7] = 1;

        var zeroed = new MemoryStream(new byte[8 * Block]);
        var fresh = new SparseWriter(zeroed, targetIsZero: true);
        fresh.Write(Block, content);
        Assert.That((fresh.BytesWritten, fresh.BytesSkipped), Is.EqualTo((Block, 3L * Block)));

        var dirtyBytes = new byte[8 * Block];
        Array.Fill(dirtyBytes, (byte)0xFF, 3 * Block, Block);
        var dirty = new MemoryStream(dirtyBytes);
        var existing = new SparseWriter(dirty, targetIsZero: false);
        existing.Write(Block, content);
        Assert.That((existing.BytesWritten, existing.BytesSkipped), Is.EqualTo((2L * Block, 2L * Block)));
        Assert.That(dirty.ToArray().AsSpan(Block, content.Length).SequenceEqual(content), Is.True);
    }
}
