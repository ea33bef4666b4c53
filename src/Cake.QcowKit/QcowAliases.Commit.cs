using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using QcowKit;
using QcowKit.Commit;

namespace Cake.QcowKit;

public static partial class QcowAliases
{
    /// <summary>
    /// <c>qemu-img commit</c>: writes what <paramref name="image"/> allocates into its backing file (or, with
    /// <paramref name="baseImage"/>, into that image further down the chain, implying <paramref name="keep"/>), then empties it
    /// unless <paramref name="keep"/> (<c>-d</c>).
    /// </summary>
    /// <param name="context">The Cake context.</param>
    /// <param name="image">The qcow2 overlay to commit.</param>
    /// <param name="baseImage">The image of the chain to commit into; null for the immediate backing file.</param>
    /// <param name="keep">Leave the overlay as it is (qemu-img's <c>-d</c>).</param>
    /// <exception cref="QcowOptionsException">qemu-img's refusal: no backing file, a base not in the chain.</exception>
    /// <example>
    /// <code>
    /// QcowCommit("./out/stage2.qcow2");                       // into stage1, then empty stage2
    /// QcowCommit("./out/stage3.qcow2", "./out/base.qcow2");   // everything above base, into base
    /// </code>
    /// </example>
    [CakeMethodAlias]
    public static void QcowCommit(this ICakeContext context, FilePath image, FilePath? baseImage = null, bool keep = false)
    {
        var path = Resolve(context, image, nameof(image));
        QcowCommitter.Commit(path, new QcowCommitOptions
        {
            Base = baseImage?.MakeAbsolute(context.Environment).FullPath,
            Drop = keep,
        }, new SynchronousProgress<QcowCommitProgress>(value => context.Log.Verbose("QcowCommit {0}: {1:P0}", path, value.Fraction), 0.1));
        context.Log.Verbose("QcowCommit {0}: committed", path);
    }
}
