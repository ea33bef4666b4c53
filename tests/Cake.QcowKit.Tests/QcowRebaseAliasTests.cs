using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>The rebase alias keeps the guest view while the backing file changes, as qemu-img rebase.</summary>
[TestFixture]
public sealed class QcowRebaseAliasTests
{
    [Test]
    public void QcowRebase_with_an_empty_name_makes_the_overlay_standalone_with_the_same_guest_bytes()
    {
        using var temp = new TempDirectory("cake-rebase");
        Qemu.CreateQcow2(temp.File("base.qcow2"), "4M");
        Qemu.Io(temp.File("base.qcow2"), "write -P 1 0 3M");
        Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", temp.File("top.qcow2"));
        Qemu.Io(temp.File("top.qcow2"), "write -P 3 1M 4k");
        var before = Qemu.RawSha256(temp.File("top.qcow2"));
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowRebase("top.qcow2", "");

        Assert.That(Qemu.Info(temp.File("top.qcow2"))["backing-filename"], Is.Null);
        Assert.That(Qemu.RawSha256(temp.File("top.qcow2")), Is.EqualTo(before));
    }
}
