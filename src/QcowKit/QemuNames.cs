using System.Diagnostics.CodeAnalysis;
using QcowKit.Format;

namespace QcowKit;

/// <summary>
/// The one mapping between qemu's option values and QcowKit's enums: every surface (CLI, Cake, MSBuild) parses
/// <c>compat</c>, <c>compression_type</c>, <c>preallocation</c> and image format names here, so each accepts
/// exactly qemu's spellings (case-sensitive, as qemu-img) and refuses the rest with qemu-img's message.
/// </summary>
public static class QemuNames
{
    /// <summary>Parses a <c>compat</c> value: <c>0.10</c> or <c>v2</c>, <c>1.1</c> or <c>v3</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="compat">The header version, when the value is one of qemu's names.</param>
    /// <returns>Whether qemu accepts the value.</returns>
    public static bool TryParseCompat([NotNullWhen(true)] string? name, out QcowCompat compat)
    {
        (var ok, compat) = name switch
        {
            "0.10" or "v2" => (true, QcowCompat.V2),
            "1.1" or "v3" => (true, QcowCompat.V3),
            _ => (false, default),
        };
        return ok;
    }

    /// <summary>Parses a <c>compat</c> value as <c>qemu-img create -o compat=...</c> does.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The header version.</returns>
    /// <exception cref="QcowOptionsException"><c>Parameter 'version' does not accept value '...'</c>, qemu-img's message.</exception>
    public static QcowCompat ParseCompat(string name) =>
        TryParseCompat(name, out var compat) ? compat : throw new QcowOptionsException($"Parameter 'version' does not accept value '{name}'");

    /// <summary>qemu's name of a header version: <c>0.10</c> or <c>1.1</c> (as <c>qemu-img info</c> prints it).</summary>
    /// <param name="compat">The header version.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="compat"/> is not a defined value.</exception>
    public static string Name(QcowCompat compat) => compat switch
    {
        QcowCompat.V2 => "0.10",
        QcowCompat.V3 => "1.1",
        _ => throw new ArgumentOutOfRangeException(nameof(compat), compat, "not a qcow2 compat level"),
    };

    /// <summary>Parses a <c>compression_type</c> value: <c>zlib</c> or <c>zstd</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="compressionType">The compression type, when the value is one of qemu's names.</param>
    /// <returns>Whether qemu accepts the value.</returns>
    public static bool TryParseCompressionType([NotNullWhen(true)] string? name, out CompressionType compressionType)
    {
        (var ok, compressionType) = name switch
        {
            "zlib" => (true, CompressionType.Deflate),
            "zstd" => (true, CompressionType.Zstd),
            _ => (false, default),
        };
        return ok;
    }

    /// <summary>Parses a <c>compression_type</c> value as <c>qemu-img create</c> does.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The compression type.</returns>
    /// <exception cref="QcowOptionsException"><c>Parameter 'compression-type' does not accept value '...'</c>, qemu-img's message.</exception>
    public static CompressionType ParseCompressionType(string name) =>
        TryParseCompressionType(name, out var type) ? type : throw new QcowOptionsException($"Parameter 'compression-type' does not accept value '{name}'");

    /// <summary>qemu's name of a compression type: <c>zlib</c> or <c>zstd</c>.</summary>
    /// <param name="compressionType">The compression type.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="compressionType"/> is not a defined value.</exception>
    public static string Name(CompressionType compressionType) => compressionType switch
    {
        CompressionType.Deflate => "zlib",
        CompressionType.Zstd => "zstd",
        _ => throw new ArgumentOutOfRangeException(nameof(compressionType), compressionType, "not a qcow2 compression type"),
    };

    /// <summary>Parses a <c>preallocation</c> value: <c>off</c>, <c>metadata</c>, <c>falloc</c> or <c>full</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="preallocation">The preallocation mode, when the value is one of qemu's names.</param>
    /// <returns>Whether qemu accepts the value.</returns>
    public static bool TryParsePreallocation([NotNullWhen(true)] string? name, out QcowPreallocation preallocation)
    {
        (var ok, preallocation) = name switch
        {
            "off" => (true, QcowPreallocation.Off),
            "metadata" => (true, QcowPreallocation.Metadata),
            "falloc" => (true, QcowPreallocation.Falloc),
            "full" => (true, QcowPreallocation.Full),
            _ => (false, default),
        };
        return ok;
    }

    /// <summary>Parses a <c>preallocation</c> value as <c>qemu-img create</c> does.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The preallocation mode.</returns>
    /// <exception cref="QcowOptionsException"><c>Parameter 'preallocation' does not accept value '...'</c>, qemu-img's message.</exception>
    public static QcowPreallocation ParsePreallocation(string name) =>
        TryParsePreallocation(name, out var preallocation) ? preallocation : throw new QcowOptionsException($"Parameter 'preallocation' does not accept value '{name}'");

    /// <summary>qemu's name of a preallocation mode: <c>off</c>, <c>metadata</c>, <c>falloc</c> or <c>full</c>.</summary>
    /// <param name="preallocation">The preallocation mode.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preallocation"/> is not a defined value.</exception>
    public static string Name(QcowPreallocation preallocation) => preallocation switch
    {
        QcowPreallocation.Off => "off",
        QcowPreallocation.Metadata => "metadata",
        QcowPreallocation.Falloc => "falloc",
        QcowPreallocation.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(preallocation), preallocation, "not a preallocation mode"),
    };

    /// <summary>Parses an image format (driver) name: <c>qcow2</c> or <c>raw</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <param name="format">The image format, when the value is one QcowKit handles.</param>
    /// <returns>Whether the value names qcow2 or raw.</returns>
    public static bool TryParseImageFormat([NotNullWhen(true)] string? name, out QcowImageFormat format)
    {
        (var ok, format) = name switch
        {
            "qcow2" => (true, QcowImageFormat.Qcow2),
            "raw" => (true, QcowImageFormat.Raw),
            _ => (false, default),
        };
        return ok;
    }

    /// <summary>Parses the format of an image to write (qemu-img's <c>create -f</c>, <c>convert -O</c>).</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The image format.</returns>
    /// <exception cref="QcowOptionsException"><c>Unknown file format '...'</c>, qemu-img's message.</exception>
    public static QcowImageFormat ParseImageFormat(string name) =>
        TryParseImageFormat(name, out var format) ? format : throw new QcowOptionsException($"Unknown file format '{name}'");

    /// <summary>Parses the format of an image to read (qemu-img's <c>-f</c> of a source, <c>-F</c>, <c>backing_fmt</c>).</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The image format.</returns>
    /// <exception cref="QcowOptionsException"><c>Unknown driver '...'</c>, qemu's message.</exception>
    public static QcowImageFormat ParseDriver(string name) =>
        TryParseImageFormat(name, out var format) ? format : throw new QcowOptionsException($"Unknown driver '{name}'");

    /// <summary>qemu's name of an image format: <c>qcow2</c> or <c>raw</c>.</summary>
    /// <param name="format">The image format.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined value.</exception>
    public static string Name(QcowImageFormat format) => format switch
    {
        QcowImageFormat.Qcow2 => "qcow2",
        QcowImageFormat.Raw => "raw",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an image format QcowKit handles"),
    };

    /// <summary>Parses qemu-img check's <c>-r</c> value: <c>leaks</c> or <c>all</c>.</summary>
    /// <param name="name">The value as given.</param>
    /// <returns>The repair mode.</returns>
    /// <exception cref="QcowOptionsException">qemu-img's message for any other value.</exception>
    public static Check.QcowRepairMode ParseRepairMode(string name) => name switch
    {
        "leaks" => Check.QcowRepairMode.Leaks,
        "all" => Check.QcowRepairMode.All,
        _ => throw new QcowOptionsException($"Unknown option value for -r (expecting 'leaks' or 'all'): {name}"),
    };
}
