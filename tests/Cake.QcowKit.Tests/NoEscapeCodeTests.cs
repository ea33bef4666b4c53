using Cake.Core;
using Cake.Core.IO;
using QcowKit.TestSupport;

namespace Cake.QcowKit.Tests;

/// <summary>
/// The aliases log plain text through Cake's ICakeLog: colour is the console's business (Cake colours a terminal
/// only; build.cs's PlainConsole not even that when redirected), so nothing the addin logs may carry escape codes.
/// </summary>
[TestFixture]
public sealed class NoEscapeCodeTests
{
    [Test]
    public void Nothing_the_aliases_log_has_an_escape_code()
    {
        using var temp = new TempDirectory("cake-no-escape");
        var image = temp.File("disk.qcow2");
        Qemu.CreateQcow2(image, "8M");
        Qemu.Io(image, "write -P 0x33 0 1M");
        QcowByteEdits.MakeLeak(image);
        using var cake = new CakeTestContext(temp.Path);

        cake.Context.QcowInfo(new FilePath(image));
        cake.Context.QcowValidate(new FilePath(image));
        Assert.That(() => cake.Context.QcowValidate(new FilePath(image), new QcowValidateSettings().WithLeaksAsErrors()), Throws.InstanceOf<CakeException>());
        cake.Context.QcowConvert(new FilePath(image), new FilePath("copy.qcow2"), new QcowConvertSettings());
        cake.Context.QcowCreate(new FilePath("new.qcow2"), new QcowCreateSettings().WithSize("4M"));
        cake.Context.QcowCompare(new FilePath(image), new FilePath("copy.qcow2"));

        Assert.That(cake.Console.Lines, Is.Not.Empty, "the aliases logged nothing at diagnostic verbosity");
        Assert.That(cake.Console.Text, Does.Not.Contain('\u001b'));
    }
}
