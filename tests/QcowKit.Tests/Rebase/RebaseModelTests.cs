using System.Security.Cryptography;
using QcowKit.Image;
using QcowKit.Rebase;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Rebase;

/// <summary>
/// A model-based test of safe rebase: a four-layer chain with random cluster sizes (extended L2 on some layers)
/// gets random writes, zero writes and rebases in a seeded random order; after every step each layer's guest bytes,
/// read by qemu-img, equal a flat in-memory model, and every layer passes qemu-img check.
/// </summary>
[TestFixture]
public sealed class RebaseModelTests
{
    private const int Size = 3 * 1024 * 1024;

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Random_writes_and_rebases_keep_every_layers_guest_view(int seed)
    {
        var random = new Random(seed);
        using var temp = new TempDirectory("rebase-model");
        var names = Enumerable.Range(0, 4).Select(i => $"layer{i}.qcow2").ToArray();
        var views = new byte[names.Length][];
        for (var layer = 0; layer < names.Length; layer++)
        {
            var extended = random.Next(3) == 0;
            int[] sizes = extended ? [16384, 65536, 262144] : [512, 4096, 65536, 2097152];
            QcowImage.Create(temp.File(names[layer]), new QcowCreateOptions
            {
                Size = Size,
                ClusterSize = sizes[random.Next(sizes.Length)],
                ExtendedL2 = extended,
                BackingFile = layer == 0 ? null : names[layer - 1],
                BackingFormat = layer == 0 ? null : "qcow2",
            }).Dispose();
            views[layer] = layer == 0 ? new byte[Size] : (byte[])views[layer - 1].Clone();
            WriteRandomly(random, temp.File(names[layer]), views[layer], count: 6);
        }
        var steps = new List<string>();
        for (var step = 0; step < 8; step++)
        {
            var layer = random.Next(1, names.Length);
            if (random.Next(3) == 0)
            {
                // Only the top has no layer above it whose view would change too.
                WriteRandomly(random, temp.File(names[^1]), views[^1], count: 3);
                steps.Add("write top");
            }
            else
            {
                var target = random.Next(-1, layer);
                var backing = target < 0 ? "" : names[target];
                QcowRebaser.Rebase(temp.File(names[layer]), new QcowRebaseOptions { BackingFile = backing, BackingFormat = target < 0 ? null : "qcow2" });
                steps.Add($"rebase {names[layer]} onto '{backing}'");
            }
            for (var i = 0; i < names.Length; i++)
            {
                var path = temp.File(names[i]);
                Assert.That(Qemu.Img("check", "-q", path).ExitCode, Is.Zero, () => $"seed {seed}, after {string.Join(", ", steps)}: {names[i]} is not clean");
                Assert.That(Qemu.RawSha256(path), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(views[i]))), () => $"seed {seed}, after {string.Join(", ", steps)}: {names[i]}'s guest view changed");
            }
        }
    }

    /// <summary>Writes random data or zeros at random offsets, through the library, and into the model.</summary>
    private static void WriteRandomly(Random random, string path, byte[] view, int count)
    {
        using var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });
        for (var i = 0; i < count; i++)
        {
            var length = random.Next(1, 200) * 512;
            var offset = random.Next(0, (Size - length) / 512) * 512L;
            if (random.Next(4) == 0)
            {
                image.WriteZeroes(offset, length);
                Array.Clear(view, (int)offset, length);
            }
            else
            {
                var data = new byte[length];
                random.NextBytes(data);
                image.Write(offset, data);
                data.CopyTo(view, (int)offset);
            }
        }
    }
}
