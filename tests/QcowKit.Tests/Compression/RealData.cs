namespace QcowKit.Tests.Compression;

/// <summary>Real bytes to compress: the runtime's own CoreLib (code, metadata, strings), present wherever the tests run.</summary>
internal static class RealData
{
    public static byte[] Read(int length)
    {
        var path = typeof(object).Assembly.Location;
        using var stream = File.OpenRead(path);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>Splits <paramref name="data"/> into clusters of <paramref name="clusterSize"/> bytes.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Clusters(byte[] data, int clusterSize)
    {
        for (var offset = 0; offset + clusterSize <= data.Length; offset += clusterSize)
        {
            yield return data.AsMemory(offset, clusterSize);
        }
    }
}
