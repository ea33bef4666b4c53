using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

/// <summary>Randomly damaged qemu-made images: opening and reading them either works or raises a clear error, never anything else.</summary>
public class HostileInputTests
{
    private static void AssertOnlyClearErrors(string source, Func<Random, string, (long Offset, int Length)> region, int rounds, int seed)
    {
        var random = new Random(seed);
        var bytes = File.ReadAllBytes(source);
        var path = source + ".damaged";
        for (var round = 0; round < rounds; round++)
        {
            var damaged = (byte[])bytes.Clone();
            var (offset, length) = region(random, source);
            for (var i = 0; i < 1 + random.Next(6); i++)
            {
                damaged[offset + random.Next(length)] = (byte)random.Next(256);
            }
            File.WriteAllBytes(path, damaged);
            try
            {
                using var image = QcowImage.Open(path);
                var buffer = new byte[image.ClusterSize * 3];
                for (long at = 0; at < image.VirtualSize; at += buffer.Length)
                {
                    image.Read(at, buffer.AsSpan(0, (int)Math.Min(buffer.Length, image.VirtualSize - at)));
                }
                _ = image.GetAllocationMap().Count();
                _ = image.GetInfo();
            }
            catch (QcowFormatException)
            {
                // The expected outcome for most damage.
            }
            catch (IOException ex) when (ex.Message.StartsWith("Could not open", StringComparison.Ordinal))
            {
                // Damage that renames a backing or data file.
            }
            catch (Exception ex)
            {
                Assert.Fail($"round {round}: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }
        }
    }

    private static string BuildImage(TempDirectory temp, string options)
    {
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "1M", options);
        Qemu.Io(path, "write -P 0x11 0 200k", "write -c -P 0x22 256k 64k", "write -c -P 0x23 320k 64k", "write -z 512k 64k",
            "write -P 0x33 700000 3000");
        return path;
    }

    [TestCase("cluster_size=65536")]
    [TestCase("cluster_size=16384,extended_l2=on")]
    [TestCase("compression_type=zstd")]
    public void Damaged_l1_and_l2_tables_raise_only_format_errors(string options)
    {
        using var temp = new TempDirectory("hostile");
        var path = BuildImage(temp, options);
        var l1 = (long)GuestBytes.ReadUInt64(path, 40);
        var l2 = (long)(GuestBytes.ReadUInt64(path, l1) & 0x00FF_FFFF_FFFF_FE00UL);
        var cluster = 1 << (int)GuestBytes.ReadUInt32(path, 20);
        AssertOnlyClearErrors(path, (random, _) => random.Next(4) == 0 ? (l1, 8) : (l2, cluster), 150, 1);
    }

    [Test]
    public void Damaged_headers_raise_only_format_errors()
    {
        using var temp = new TempDirectory("hostilehdr");
        var path = BuildImage(temp, "cluster_size=65536");
        Qemu.ImgOk("snapshot", "-c", "s", path);
        Qemu.ImgOk("bitmap", "--add", path, "b");
        AssertOnlyClearErrors(path, (random, _) => (0, 512), 300, 2);
    }
}
