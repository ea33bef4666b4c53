using System.Reflection;
using System.Runtime.CompilerServices;
using QcowKit.Image;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// QcowKit.Fixtures ships as its own package: it may use only the engine's public API, or a QcowKit.Fixtures
/// package of one version could fail at run time against a QcowKit package of another (issue 16).
/// </summary>
public class EngineBoundaryTests
{
    [Test]
    public void The_engine_does_not_grant_its_internals_to_the_fixture_package()
    {
        var engine = typeof(QcowImage).Assembly;
        var granted = engine.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => new AssemblyName(a.AssemblyName).Name)
            .ToList();
        Assert.That(granted, Is.Not.Empty, "the engine still grants its test projects access; if that changed, rewrite this test");
        Assert.That(granted, Does.Not.Contain(typeof(QcowFixture).Assembly.GetName().Name),
            "QcowKit.Fixtures is a separate package: give it public API instead of InternalsVisibleTo");
    }
}
