using System.Runtime.CompilerServices;
using QcowKit.Check;
using QcowKit.Seed;

namespace QcowKit.Tests.Options;

/// <summary>
/// Options types are built once (object initializers) and then only read by the engine: their properties are
/// init-only. QcowCreateOptions and QcowAmendOptions keep setters because their qemu option-list parsers
/// (Set/Apply) fill an existing instance.
/// </summary>
[TestFixture]
public sealed class InitOnlyOptionsTests
{
    private static readonly Type[] OptionsTypes =
    [
        typeof(QcowConvertOptions), typeof(QcowCheckOptions), typeof(SeedTargetOptions), typeof(FatSeedOptions),
        typeof(CloudInitSeedOptions), typeof(ImageCopySeedOptions), typeof(GeneratedDataSeedOptions),
    ];

    [TestCaseSource(nameof(OptionsTypes))]
    public void Every_public_property_is_init_only(Type type)
    {
        var settable = type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }).ToList();
        Assert.That(settable, Is.Not.Empty);
        var withSetters = settable.Where(p => !p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)))
            .Select(p => p.Name).ToList();
        Assert.That(withSetters, Is.Empty, type.Name);
    }
}
