using System.Buffers.Binary;
using System.IO.Compression;
using QcowKit.Compression;
using QcowKit.Format;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Compression;

/// <summary>
/// qemu inflates compressed clusters with windowBits -12. A stream that refers further back than
/// 4 KiB only fails in an inflater that is fed piecewise (qemu 7.2 inflates a cluster in one call
/// and happens to accept it), so these tests inflate with python's zlib in small steps.
/// </summary>
public class DeflateWindowTests
{
    private const int ClusterSize = 64 * 1024;

    // Input in 256-byte pieces and output in 512-byte pieces: every back-reference beyond the
    // 4 KiB window plus the current piece fails with "invalid distance too far back".
    private const string PiecewiseInflater = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        out = open(sys.argv[2], 'wb')
        pos = index = bad = 0
        while pos < len(data):
            clen, rlen = struct.unpack_from('>II', data, pos)
            pos += 8
            stream = data[pos:pos + clen]
            pos += clen
            d = zlib.decompressobj(-12)
            result = bytearray()
            try:
                for i in range(0, len(stream), 256):
                    piece = stream[i:i + 256]
                    while piece:
                        result += d.decompress(piece, 512)
                        piece = d.unconsumed_tail
                result += d.flush()
                if not d.eof or len(result) != rlen:
                    raise zlib.error('stream incomplete: %d of %d bytes' % (len(result), rlen))
            except zlib.error as e:
                bad += 1
                print('cluster %d: %s' % (index, e), file=sys.stderr)
                result = bytearray(rlen)
            out.write(result)
            index += 1
        print('%d of %d clusters failed' % (bad, index))
        sys.exit(1 if bad else 0)
        """;

    [Test]
    public void Deflate_streams_inflate_piecewise_with_a_4_KiB_window()
    {
        using var compressor = new ClusterCompressor(CompressionType.Deflate);
        AssertInflatesPiecewise((cluster, buffer) => compressor.TryCompress(cluster, buffer, out var n) ? n : -1);
    }

    [Test]
    public void System_zlib_fallback_streams_inflate_piecewise_with_a_4_KiB_window()
    {
        var system = SystemZlibDeflate.TryLoad();
        Assert.That(system, Is.Not.Null, "libz.so.1 not found");
        AssertInflatesPiecewise((cluster, buffer) => system!.CompressLikeQemu(cluster, buffer[..(ClusterSize - 1)]));
    }

    private delegate int Deflater(ReadOnlySpan<byte> cluster, Span<byte> buffer);

    private static void AssertInflatesPiecewise(Deflater deflate)
    {
        var data = RealData.Read(64 * ClusterSize);
        var streams = new List<(byte[] Stream, int RawLength)>();
        var expected = new MemoryStream();
        var buffer = new byte[ClusterSize];
        foreach (var cluster in RealData.Clusters(data, ClusterSize))
        {
            var length = deflate(cluster.Span, buffer);
            if (length > 0)
            {
                streams.Add((buffer[..length], ClusterSize));
                expected.Write(cluster.Span);
            }
        }
        Assert.That(streams, Has.Count.GreaterThan(32));

        var (result, inflated) = InflatePiecewise(streams);

        Assert.That(result.ExitCode, Is.Zero, result.Describe);
        Assert.That(inflated, Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void Piecewise_inflater_rejects_32_KiB_window_streams_from_DeflateStream()
    {
        // The control: without it the test above could pass with an inflater that checks nothing.
        var data = RealData.Read(8 * ClusterSize);
        var streams = new List<(byte[] Stream, int RawLength)>();
        foreach (var cluster in RealData.Clusters(data, ClusterSize))
        {
            using var output = new MemoryStream();
            using (var deflater = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                deflater.Write(cluster.Span);
            }
            streams.Add((output.ToArray(), ClusterSize));
        }

        var (result, _) = InflatePiecewise(streams);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.Describe);
        Assert.That(result.StandardError, Does.Contain("invalid distance too far back"));
    }

    private static (ProcessResult Result, byte[] Inflated) InflatePiecewise(List<(byte[] Stream, int RawLength)> streams)
    {
        using var temp = new TempDirectory("inflate");
        var input = temp.File("streams.bin");
        using (var file = File.Create(input))
        {
            Span<byte> header = stackalloc byte[8];
            foreach (var (stream, rawLength) in streams)
            {
                BinaryPrimitives.WriteUInt32BigEndian(header, (uint)stream.Length);
                BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)rawLength);
                file.Write(header);
                file.Write(stream);
            }
        }
        var script = temp.File("inflate.py");
        File.WriteAllText(script, PiecewiseInflater);
        var output = temp.File("inflated.bin");
        var result = ProcessRunner.Run("python3", [script, input, output], timeout: TimeSpan.FromMinutes(2));
        return (result, File.Exists(output) ? File.ReadAllBytes(output) : []);
    }
}
