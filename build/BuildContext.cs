using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace QcowKit.Build;

/// <summary>
/// What every task sees: Cake's context (so Cake.Common's and Cake.QcowKit's aliases are called on
/// it as in a Frosting host) plus the pipeline's own settings and results.
/// </summary>
public sealed class BuildContext : ICakeContext
{
    private readonly ICakeContext _cake;

    /// <summary>Wraps a Cake context for the repository at <paramref name="repositoryRoot"/>.</summary>
    public BuildContext(ICakeContext cake, DirectoryPath repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(cake);
        _cake = cake;
        Root = repositoryRoot;
        Configuration = cake.Arguments.HasArgument("configuration")
            ? cake.Arguments.GetArguments("configuration").Last()
            : "Release";
        // --packages=DIR: a test packs into its own folder instead of the repository's artifacts/.
        PackagesDirectory = cake.Arguments.HasArgument("packages")
            ? new DirectoryPath(cake.Arguments.GetArguments("packages").Last()).MakeAbsolute(repositoryRoot)
            : repositoryRoot.Combine("artifacts/packages");
    }

    /// <summary>The repository root (the folder holding build.cs).</summary>
    public DirectoryPath Root { get; }

    /// <summary>The solution every task works on.</summary>
    public FilePath Solution => Root.CombineWithFilePath("QcowKit.sln");

    /// <summary>Build configuration, <c>--configuration=NAME</c>, Release by default.</summary>
    public string Configuration { get; }

    /// <summary>Where Pack and ToolPack put the packages: artifacts/packages, or <c>--packages=DIR</c>.</summary>
    public DirectoryPath PackagesDirectory { get; }

    /// <summary>Where the Fixtures task writes the fixture corpus.</summary>
    public DirectoryPath FixturesDirectory => Root.Combine("fixtures");

    /// <summary>Fixture images the Fixtures task validated in this run, and whether QcowValidate accepted each.</summary>
    public IList<(FilePath Image, bool Accepted)> FixturesValidated { get; } = [];

    /// <summary>Package files the Pack task made in this run.</summary>
    public IList<FilePath> PackagesMade { get; } = [];

    /// <inheritdoc />
    public IFileSystem FileSystem => _cake.FileSystem;

    /// <inheritdoc />
    public ICakeEnvironment Environment => _cake.Environment;

    /// <inheritdoc />
    public IGlobber Globber => _cake.Globber;

    /// <inheritdoc />
    public ICakeLog Log => _cake.Log;

    /// <inheritdoc />
    public ICakeArguments Arguments => _cake.Arguments;

    /// <inheritdoc />
    public IProcessRunner ProcessRunner => _cake.ProcessRunner;

    /// <inheritdoc />
    public IRegistry Registry => _cake.Registry;

    /// <inheritdoc />
    public IToolLocator Tools => _cake.Tools;

    /// <inheritdoc />
    public ICakeDataResolver Data => _cake.Data;

    /// <inheritdoc />
    ICakeConfiguration ICakeContext.Configuration => _cake.Configuration;

    /// <inheritdoc />
    public IToolInstaller ToolInstaller => _cake.ToolInstaller;

    /// <inheritdoc />
    public IServiceProvider ServiceProvider => _cake.ServiceProvider;
}
