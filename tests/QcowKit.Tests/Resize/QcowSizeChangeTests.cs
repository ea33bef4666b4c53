using QcowKit.Resize;

namespace QcowKit.Tests.Resize;

/// <summary>The size argument of qemu-img resize, parsed once for every surface.</summary>
public sealed class QcowSizeChangeTests
{
    [TestCase("2M", 0, 2UL << 20)]
    [TestCase("+1.5k", 1, 1536UL)]
    [TestCase("-0x200", -1, 512UL)]
    [TestCase("+0", 1, 0UL)]
    [TestCase("18446744073709551615", 0, ulong.MaxValue)]
    public void A_size_parses_into_its_direction_and_amount(string text, int direction, ulong amount)
    {
        var change = QcowSizeChange.Parse(text);
        Assert.That((change.Direction, change.Amount), Is.EqualTo((direction, amount)));
    }

    [TestCase("abc")]
    [TestCase("+")]
    [TestCase("")]
    [TestCase("1Q")]
    [TestCase("--1M")]
    public void Malformed_text_is_refused_with_qemus_message_and_hint(string text)
    {
        var refusal = Assert.Throws<QcowOptionsException>(() => QcowSizeChange.Parse(text))!;
        Assert.That(refusal.Message, Is.EqualTo(QcowSizeChange.InvalidSizeMessage));
        Assert.That(refusal.SecondLine(), Is.EqualTo(QcowSizeChange.InvalidSizeHint));
    }

    [TestCase("18446744073709551616", "18446744073709551616")]
    [TestCase("+16E", "16E")]
    [TestCase("0x10000000000000000", "0x10000000000000000")]
    public void A_size_above_2_to_the_64_is_refused_as_out_of_range(string text, string value)
    {
        var refusal = Assert.Throws<QcowOptionsException>(() => QcowSizeChange.Parse(text))!;
        Assert.That(refusal.Message, Is.EqualTo($"Value '{value}' is out of range for parameter 'size'"));
    }

    [TestCase("+1M", 1L << 20, 2L << 20)]
    [TestCase("-512k", 1L << 20, 512L << 10)]
    [TestCase("3M", 1L << 20, 3L << 20)]
    public void The_new_size_follows_from_the_current_one(string text, long current, long expected) =>
        Assert.That(QcowSizeChange.Parse(text).ApplyTo(current), Is.EqualTo(expected));

    [TestCase("0")]
    [TestCase("-1M")]
    [TestCase("-2M")]
    [TestCase("8E")]
    [TestCase("+8E")]
    public void A_new_size_that_is_not_positive_in_qemus_signed_arithmetic_is_refused(string text)
    {
        var refusal = Assert.Throws<QcowOptionsException>(() => QcowSizeChange.Parse(text).ApplyTo(1L << 20))!;
        Assert.That(refusal.Message, Is.EqualTo(QcowSizeChange.NotPositiveMessage));
    }
}
