using QcowKit.Bitmaps;

namespace QcowKit.Tests.Bitmaps;

/// <summary>The operation names the surfaces without qemu-img's options use (MSBuild items, scripts).</summary>
[TestFixture]
public sealed class QcowBitmapOperationTests
{
    [TestCase("add", QcowBitmapAction.Add, null)]
    [TestCase("Remove", QcowBitmapAction.Remove, null)]
    [TestCase("CLEAR", QcowBitmapAction.Clear, null)]
    [TestCase("enable", QcowBitmapAction.Enable, null)]
    [TestCase("disable", QcowBitmapAction.Disable, null)]
    [TestCase("merge:b1", QcowBitmapAction.Merge, "b1")]
    [TestCase("merge:a:b", QcowBitmapAction.Merge, "a:b")]
    public void Names_parse(string text, QcowBitmapAction action, string? source) =>
        Assert.That(QcowBitmapOperation.Parse(text), Is.EqualTo(new QcowBitmapOperation(action, source)));

    [TestCase("merge")]
    [TestCase("merge:")]
    [TestCase("add:b1")]
    [TestCase("1")]
    [TestCase("")]
    [TestCase("copy")]
    public void Other_text_is_refused(string text) =>
        Assert.That(() => QcowBitmapOperation.Parse(text), Throws.TypeOf<QcowOptionsException>());
}
