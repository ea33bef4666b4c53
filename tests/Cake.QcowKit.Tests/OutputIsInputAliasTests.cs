using Cake.Core.IO;
using QcowKit;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

[TestFixture]
public sealed class OutputIsInputAliasTests
{
    [Test]
    public void QcowConvert_refuses_a_symlink_to_the_source_and_leaves_it_unchanged()
    {
        using var temp = new TempDirectory("cake-safety");
        var source = temp.File("source.qcow2");
        Qemu.CreateQcow2(source, "4M");
        Qemu.Io(source, "write -P 0x5a 0 1M");
        File.CreateSymbolicLink(temp.File("link.qcow2"), source);
        var before = Hashing.Sha256OfFile(source);
        using var cake = new CakeTestContext(temp.Path);

        Assert.That(() => cake.Context.QcowConvert(new FilePath("source.qcow2"), new FilePath("link.qcow2"), new QcowConvertSettings()),
            Throws.InstanceOf<OutputIsInputException>().With.Message.Contain("the source image"));
        Assert.That(Hashing.Sha256OfFile(source), Is.EqualTo(before));
    }
}
