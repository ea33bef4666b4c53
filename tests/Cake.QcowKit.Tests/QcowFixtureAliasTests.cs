using Cake.Core;
using Cake.Core.IO;
using QcowKit.Fixtures;
using QcowKit.Fixtures.Manifest;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class QcowFixtureAliasTests
{
    [Test]
    public void Builds_named_fixtures_whose_verdict_qemu_confirms()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);
        var corrupt = QcowFixtures.Corrupted.First().Name;

        var built = cake.Context.QcowFixture(new DirectoryPath("out"), new QcowFixtureSettings().WithNames("clean-v3", corrupt));

        Assert.That(built, Has.Count.EqualTo(2));
        foreach (var fixture in built)
        {
            Assert.That(System.IO.Path.GetDirectoryName(fixture.ImagePath), Is.EqualTo(temp.File("out")));
            Assert.That(Qemu.Check(fixture.ImagePath).ExitCode, Is.EqualTo(fixture.Expected.CheckExitCode), fixture.ImagePath);
        }
    }

    [Test]
    public void Clean_only_leaves_the_corrupted_fixtures_out()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);
        var corrupt = QcowFixtures.Corrupted.First().Name;

        Assert.That(() => cake.Context.QcowFixture(new DirectoryPath(temp.Path), new QcowFixtureSettings().WithCleanOnly().WithNames("clean-v3", corrupt)),
            Throws.TypeOf<CakeException>().With.Message.Contains(corrupt).And.Message.Not.Contains("clean-v3"));
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty, "nothing is built when a name is refused");
    }

    [Test]
    public void Writes_the_same_manifest_as_qcowkit_fixture()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);
        var names = new[] { "clean-v2", QcowFixtures.Corrupted.First().Name };

        cake.Context.QcowFixture(new DirectoryPath("alias"), new QcowFixtureSettings().WithNames(names));
        FixtureCorpus.Generate(temp.File("corpus"), names.Select(name => QcowFixtures.Find(name)));

        var fromAlias = File.ReadAllText(System.IO.Path.Combine(temp.File("alias"), FixtureManifest.FileName));
        Assert.That(fromAlias, Is.EqualTo(File.ReadAllText(System.IO.Path.Combine(temp.File("corpus"), FixtureManifest.FileName))));
        Assert.That(FixtureManifest.Parse(fromAlias).Fixtures.Select(f => f.Name), Is.EqualTo(names));
    }

    [Test]
    public void Logs_how_many_fixtures_it_built()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);

        var built = cake.Context.QcowFixture(new DirectoryPath(temp.Path), new QcowFixtureSettings().WithNames("clean-v2"));

        Assert.That(built.Single().Options.Version, Is.EqualTo(2));
        Assert.That(cake.Console.Text, Does.Contain($"QcowFixture {temp.Path}: 1 fixtures built"));
    }

    [Test]
    public void Refuses_a_name_that_is_not_in_the_catalogue()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowFixture(new DirectoryPath(temp.Path), new QcowFixtureSettings().WithNames("no-such-fixture")),
            Throws.TypeOf<CakeException>().With.Message.Contains("no-such-fixture"));
    }

    [Test]
    public void Fixtures_fail_or_pass_qcow_validate_as_their_expected_verdict_says()
    {
        using var temp = new TempDirectory("cake-fixture");
        using var cake = new CakeTestContext(temp.Path);
        var names = new[] { "clean-v3", "clean-zstd" }.Concat(QcowFixtures.Corrupted.Take(3).Select(d => d.Name)).ToArray();

        foreach (var fixture in cake.Context.QcowFixture(new DirectoryPath(temp.Path), new QcowFixtureSettings().WithNames(names)))
        {
            if (fixture.Expected.CheckExitCode == 0)
            {
                Assert.That(cake.Context.QcowValidate(new FilePath(fixture.ImagePath)).QemuExitCode, Is.Zero, fixture.ImagePath);
            }
            else
            {
                var ex = Assert.Throws<CakeException>(() => cake.Context.QcowValidate(new FilePath(fixture.ImagePath), new QcowValidateSettings().WithLeaksAsErrors()))!;
                Assert.That(((QcowValidationException)ex.InnerException!).Result.QemuExitCode, Is.EqualTo(fixture.Expected.CheckExitCode), fixture.ImagePath);
            }
        }
    }
}
