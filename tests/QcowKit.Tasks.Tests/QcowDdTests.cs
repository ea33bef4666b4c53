using QcowKit.TestSupport;

namespace QcowKit.Tasks.Tests;

/// <summary>QcowDd copies a range of blocks into a new image as qemu-img dd; refusals are QCOW1055 with qemu's message.</summary>
[TestFixture]
public sealed class QcowDdTests
{
    [Test]
    public void The_output_gets_qemus_size_and_the_input_bytes_from_skip_on()
    {
        using var temp = new TempDirectory("tasks-dd");
        Qemu.CreateQcow2(temp.File("in.qcow2"), "1M");
        Qemu.Io(temp.File("in.qcow2"), "write -P 7 0 1M");
        var engine = new FakeBuildEngine();
        using var task = new QcowDd
        {
            BuildEngine = engine,
            Input = TestImages.Item(temp.File("in.qcow2")),
            Output = TestImages.Item(temp.File("out.qcow2")),
            OutputFormat = "qcow2",
            BlockSize = "64k",
            Count = "10",
            Skip = "3",
        };

        Assert.That(task.Execute(), Is.True, engine.Describe);

        Assert.That(task.OutputSize, Is.EqualTo(7 * 65536), "qemu's count-then-skip arithmetic");
        Assert.That(Qemu.Info(temp.File("out.qcow2"))["virtual-size"]!.GetValue<long>(), Is.EqualTo(7 * 65536));
        Assert.That(Qemu.Check(temp.File("out.qcow2")).ExitCode, Is.Zero);
    }

    [Test]
    public void A_zero_block_size_fails_with_QCOW1055_and_qemus_message()
    {
        using var temp = new TempDirectory("tasks-dd");
        Qemu.CreateQcow2(temp.File("in.qcow2"), "1M");
        var engine = new FakeBuildEngine();
        using var task = new QcowDd { BuildEngine = engine, Input = TestImages.Item(temp.File("in.qcow2")), Output = TestImages.Item(temp.File("out.raw")), BlockSize = "0" };

        Assert.That(task.Execute(), Is.False);

        var error = engine.Errors.Single();
        Assert.That(error.Code, Is.EqualTo("QCOW1055"), engine.Describe);
        Assert.That(error.Message, Does.EndWith("Invalid bs specified. Must be between 1 and 2147483647."));
        Assert.That(File.Exists(temp.File("out.raw")), Is.False);
    }
}
