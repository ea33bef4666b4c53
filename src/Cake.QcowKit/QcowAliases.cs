using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;

namespace Cake.QcowKit;

/// <summary>
/// Cake aliases for qcow2 disk images: create, inspect and validate them with the QcowKit engine,
/// the same checks <c>qemu-img</c> makes. Load the addin in a script with
/// <c>#addin nuget:?package=Cake.QcowKit&amp;loaddependencies=true</c> (or <c>#r</c> the built
/// Cake.QcowKit.dll); in a Frosting host they are extension methods on <see cref="ICakeContext"/>.
/// </summary>
[CakeAliasCategory("Qcow")]
[CakeNamespaceImport("Cake.QcowKit")]
[CakeNamespaceImport("QcowKit")]
[CakeNamespaceImport("QcowKit.Image")]
[CakeNamespaceImport("QcowKit.Check")]
[CakeNamespaceImport("QcowKit.Format")]
[CakeNamespaceImport("QcowKit.Compare")]
public static partial class QcowAliases
{
    /// <summary>An alias's path argument made absolute against the build's working directory, as every Cake alias does.</summary>
    private static string Resolve(ICakeContext context, FilePath path, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(path, parameterName);
        return path.MakeAbsolute(context.Environment).FullPath;
    }
}
