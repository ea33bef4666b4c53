using System.Security.Cryptography;
using QcowKit.Image;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Snapshots;

/// <summary>Snapshot changes and resize observe a token before their first metadata write: a canceled call leaves the file as it was.</summary>
[TestFixture]
public sealed class CancellationTests
{
    private static readonly (string Name, Action<QcowImage, CancellationToken> Change)[] Changes =
    [
        ("create snapshot", (image, token) => image.CreateSnapshot("second", cancellationToken: token)),
        ("apply snapshot", (image, token) => image.ApplySnapshot("first", token)),
        ("delete snapshot", (image, token) => image.DeleteSnapshot("first", token)),
        ("grow", (image, token) => image.Resize(8 << 20, cancellationToken: token)),
        ("shrink", (image, token) => image.Resize(1 << 20, allowShrink: true, token)),
    ];

    [TestCaseSource(nameof(Changes))]
    public void A_canceled_token_leaves_the_image_byte_identical_and_clean((string Name, Action<QcowImage, CancellationToken> Change) change)
    {
        using var temp = new TempDirectory("cancel");
        var path = temp.File("image.qcow2");
        Qemu.CreateQcow2(path, "4M");
        Qemu.Io(path, "write -P 0x5a 0 64k");
        Qemu.ImgOk("snapshot", "-c", "first", path);
        Qemu.Io(path, "write -P 0x33 64k 64k");
        var before = SHA256.HashData(File.ReadAllBytes(path));
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        using (var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite }))
        {
            Assert.That(() => change.Change(image, cancellation.Token), Throws.InstanceOf<OperationCanceledException>(), change.Name);
        }

        Assert.That(SHA256.HashData(File.ReadAllBytes(path)), Is.EqualTo(before), change.Name);
        var (exitCode, _, check) = Qemu.Check(path);
        Assert.That(exitCode, Is.Zero, check.StandardError);

        // The same change without cancellation goes through, so the canceled call stopped it rather than a refusal.
        using (var image = QcowImage.Open(path, new QcowOpenOptions { Access = FileAccess.ReadWrite }))
        {
            change.Change(image, CancellationToken.None);
        }
        Assert.That(SHA256.HashData(File.ReadAllBytes(path)), Is.Not.EqualTo(before), change.Name);
        Assert.That(Qemu.Check(path).ExitCode, Is.Zero);
    }
}
