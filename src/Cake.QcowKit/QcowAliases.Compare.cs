using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit.Compare;
using QcowKit.Image;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// Compares the guest contents of two images with <c>qemu-img compare</c>'s algorithm and
    /// wording. Never writes to either image. A difference is a result, not an error: check
    /// <see cref="QcowCompareResult.Identical"/>.
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="first">The first image (qcow2 or raw).</param>
    /// <param name="second">The second image.</param>
    /// <param name="settings">Formats and strict mode; null for the defaults.</param>
    /// <returns>Whether they are identical, the first differing offset, and qemu's message.</returns>
    /// <exception cref="QcowCompareException">An image's allocation or data could not be read.</exception>
    /// <example>
    /// <code>
    /// var result = QcowCompare("./out/disk.qcow2", "./golden/disk.qcow2");
    /// if (!result.Identical)
    /// {
    ///     throw new Exception($"disk differs at offset {result.FirstDifferenceOffset}: {result.Message}");
    /// }
    /// var strict = QcowCompare("./a.qcow2", "./b.raw", new QcowCompareSettings().WithFormats("qcow2", "raw").WithStrict());
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static QcowCompareResult QcowCompare(this ICakeContext context, FilePath first, FilePath second, QcowCompareSettings? settings = null)
    {
        var path1 = Resolve(context, first, nameof(first));
        var path2 = Resolve(context, second, nameof(second));
        settings ??= new QcowCompareSettings();
        var result = QcowComparer.Compare(path1, settings.FirstFormat, path2, settings.SecondFormat, settings.Strict,
            new QcowOpenOptions { ForceShare = settings.ForceShare });
        context.Log.Information("QcowCompare {0} {1}: {2}", path1, path2, string.Join(" ", result.Lines));
        return result;
    }
}
