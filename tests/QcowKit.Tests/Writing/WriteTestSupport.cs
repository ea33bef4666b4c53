using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>Shared oracle steps for write tests: qemu-img check must be clean, qemu-img compare must match the model.</summary>
internal static class WriteTestSupport
{
    public static void AssertCleanAndEqual(string image, byte[] expected, string temp)
    {
        var (exitCode, report, raw) = Qemu.Check(image);
        Assert.That(exitCode, Is.Zero, raw.Describe);
        Assert.That(report?["leaks"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        Assert.That(report?["corruptions"]?.GetValue<int>() ?? 0, Is.Zero, raw.Describe);
        var rawFile = Path.Combine(temp, "expected.raw");
        File.WriteAllBytes(rawFile, expected);
        var compare = Qemu.Img("compare", "-U", "-f", "qcow2", "-F", "raw", image, rawFile);
        Assert.That(compare.ExitCode, Is.Zero, compare.Describe);
    }

    public static QcowImage OpenWritable(string path) => QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite });

    /// <summary>Bytes that compress well but differ per call, so that misplaced clusters show.</summary>
    public static byte[] Compressible(Random random, int length)
    {
        var data = new byte[length];
        var word = new byte[16];
        random.NextBytes(word);
        for (var i = 0; i < length; i++)
        {
            data[i] = (i & 63) < 48 ? word[i & 15] : (byte)random.Next(256);
        }
        return data;
    }
}
