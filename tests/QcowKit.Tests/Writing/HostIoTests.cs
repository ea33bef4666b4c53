using QcowKit.Image.Writing;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Writing;

/// <summary>Large writes go to the file in pieces of at most <see cref="HostIo.MaxWriteBytes"/>, with the same result as one write.</summary>
[TestFixture]
public sealed class HostIoTests
{
    [TestCase(0, 0)]
    [TestCase(1, 4096)]
    [TestCase(HostIo.MaxWriteBytes, 0)]
    [TestCase(HostIo.MaxWriteBytes + 1, 512)]
    [TestCase((7 * HostIo.MaxWriteBytes / 2) + 3, (2 << 20) - 5)]
    public void Written_in_pieces_the_file_holds_exactly_the_data_at_its_offset(int length, long offset)
    {
        using var temp = new TempDirectory("hostio");
        var path = temp.File("data.bin");
        var data = new byte[length];
        new Random(length).NextBytes(data);

        using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            HostIo.WriteInPieces(new QcowKit.Image.Files.HandleHostFile(file, ownsHandle: false), data, offset);
        }

        var written = File.ReadAllBytes(path);
        Assert.That(written, Has.Length.EqualTo(length == 0 ? 0 : offset + length));
        Assert.That(written.AsSpan((int)Math.Min(offset, written.Length)).SequenceEqual(data), Is.True);
        Assert.That(written.AsSpan(0, (int)Math.Min(offset, written.Length)).ContainsAnyExcept((byte)0), Is.False, "nothing before the offset");
    }
}
