using System.Resources;

namespace QcowKit.Tasks.Resources;

/// <summary>Access to Strings.resx, the one table of this package's codes and messages.</summary>
internal static class Strings
{
    /// <summary>The resource manager the tasks hand to MSBuild's logging helper.</summary>
    internal static ResourceManager ResourceManager { get; } = new("QcowKit.Tasks.Resources.Strings", typeof(Strings).Assembly);
}
