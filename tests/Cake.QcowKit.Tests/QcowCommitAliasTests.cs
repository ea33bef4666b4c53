using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>The commit alias writes a chain down into a named base and keeps the layers, as qemu-img commit -b.</summary>
[TestFixture]
public sealed class QcowCommitAliasTests
{
    [Test]
    public void QcowCommit_into_a_named_base_gives_it_the_top_guest_view_and_keeps_the_layers()
    {
        using var temp = new TempDirectory("cake-commit");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "4M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 1 0 4M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("mid.qcow2"));
        Qemu.Io(temp.File("mid.qcow2"), "write -P 2 1M 1M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        Qemu.Io(temp.File("top.qcow2"), "write -P 3 1536k 4k");
        var top = Qemu.RawSha256(temp.File("top.qcow2"));
        var mid = Hashing.Sha256OfFile(temp.File("mid.qcow2"));
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowCommit("top.qcow2", "base.qcow2");

        Assert.That(Qemu.RawSha256(temp.File("base.qcow2")), Is.EqualTo(top));
        Assert.That(Hashing.Sha256OfFile(temp.File("mid.qcow2")), Is.EqualTo(mid), "the intermediate layer is left as it was");
        Assert.That(Qemu.RawSha256(temp.File("top.qcow2")), Is.EqualTo(top));
    }
}
