using System.Buffers.Binary;
using System.Security.Cryptography;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Reading;

/// <summary>Reads guest bytes through the engine and hashes them, the way the oracle hashes qemu-img's raw conversion.</summary>
internal static class GuestBytes
{
    /// <summary>SHA-256 of the guest disk read through <see cref="QcowImage.OpenStream"/> in <paramref name="chunk"/>-byte reads.</summary>
    public static string Sha256(string path, int chunk = 1 << 20, QcowOpenOptions? options = null)
    {
        using var image = QcowImage.Open(path, options);
        return Sha256(image, chunk);
    }

    public static string Sha256(IVirtualDisk disk, int chunk = 1 << 20)
    {
        using var stream = disk.OpenStream();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[chunk];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Asserts that the engine reads the same guest bytes as qemu-img convert -O raw, in large and in odd-sized reads.</summary>
    public static void AssertSameAsQemu(string path, bool oddChunks = true)
    {
        var expected = Qemu.RawSha256(path);
        Assert.That(Sha256(path), Is.EqualTo(expected), $"guest bytes of {path} (1 MiB reads)");
        if (oddChunks)
        {
            Assert.That(Sha256(path, 4096 + 17), Is.EqualTo(expected), $"guest bytes of {path} (4113-byte reads)");
        }
    }

    /// <summary>The usual mix of qemu-io writes for a cluster size: data over a cluster boundary, an unaligned small write, zeroes, a compressed cluster, a discard, the last half cluster.</summary>
    public static string[] Workload(int cluster, long size, bool compressed = true)
    {
        var commands = new List<string>
        {
            $"write -P 0x11 0 {cluster + (cluster / 2)}",
            $"write -P 0x22 {(size / 2) + 512} 3000",
            $"write -z {cluster * 4} {cluster}",
            $"write -P 0x44 {size - (cluster / 2)} {cluster / 2}",
            $"discard 0 {cluster}",
        };
        if (compressed)
        {
            commands.Add($"write -c -P 0x33 {size - (2 * cluster)} {cluster}");
        }
        return [.. commands];
    }

    public static void PatchUInt32(string path, long offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Patch(path, offset, bytes);
    }

    public static void PatchUInt64(string path, long offset, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Patch(path, offset, bytes);
    }

    public static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Write(handle, bytes, offset);
    }

    public static uint ReadUInt32(string path, long offset)
    {
        Span<byte> bytes = stackalloc byte[4];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        RandomAccess.Read(handle, bytes, offset);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static ulong ReadUInt64(string path, long offset)
    {
        Span<byte> bytes = stackalloc byte[8];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        RandomAccess.Read(handle, bytes, offset);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }
}
