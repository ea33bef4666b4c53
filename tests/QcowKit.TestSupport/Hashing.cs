using System.Security.Cryptography;

namespace QcowKit.TestSupport;

public static class Hashing
{
    public static string Sha256OfStream(Stream stream)
    {
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Sha256OfStream(stream);
    }
}
