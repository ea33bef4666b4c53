using System.Collections.Concurrent;
using System.Globalization;

namespace QcowKit.Fixtures.Tests;

/// <summary>
/// The fixture promise, as a property: for a seeded random walk over the builder's options and every
/// corruption, each combination the builder accepts comes with the verdict qemu-img gives it. The seed
/// comes from QCOWKIT_PROPERTY_SEED (else the clock) and the count from QCOWKIT_PROPERTY_COUNT (else 300).
/// </summary>
public class VerdictPropertyTests
{
    private const int DefaultCount = 300;

    /// <summary>A fixed walk for the broken-rule tests: small enough to be cheap, and it builds leaking, corrupt and clean fixtures.</summary>
    private const int BrokenRuleSeed = 22;
    private const int BrokenRuleCount = 24;

    [Test]
    public void Every_combination_the_builder_accepts_carries_the_verdict_qemu_img_gives_it()
    {
        var seed = EnvironmentInt("QCOWKIT_PROPERTY_SEED") ?? Environment.TickCount & 0x7fffffff;
        var count = EnvironmentInt("QCOWKIT_PROPERTY_COUNT") ?? DefaultCount;

        var report = VerdictProperty.Run(seed, count, VerdictProperty.BuilderRule);

        TestContext.Out.WriteLine(report.Summary);
        Assert.That(report.Failures, Is.Empty, () => report.Explain());
    }

    [Test]
    public void A_leak_count_one_too_high_is_reported_for_every_leaking_fixture_with_the_seed_and_options()
    {
        AssertWalkCatches(v => v.Leaks > 0 ? v with { Leaks = v.Leaks + 1 } : null);
    }

    [Test]
    public void A_corruption_count_one_too_high_is_reported_for_every_corrupt_fixture_with_the_seed_and_options()
    {
        AssertWalkCatches(v => v.Corruptions > 0 ? v with { Corruptions = v.Corruptions + 1 } : null);
    }

    [Test]
    public void An_extra_leak_claimed_for_one_corruption_kind_is_reported_for_exactly_that_kind()
    {
        // The kind is the walk's first corruption the builder accepts, so the broken rule is sure to be exercised.
        var kind = VerdictProperty.Combinations(BrokenRuleSeed, BrokenRuleCount).First(o => o.Corruptions.Count == 1 && Composes(o)).Corruptions[0];

        var perturbed = AssertWalkCatches(v => v with { Leaks = v.Leaks + 1 }, kind);

        Assert.That(perturbed.Select(o => o.Corruptions.Single()), Is.All.EqualTo(kind));
    }

    /// <summary>
    /// Runs the fixed walk with a verdict rule broken by <paramref name="breakVerdict"/> (null: left alone), restricted
    /// to <paramref name="onlyKind"/> when given, and asserts that exactly the fixtures whose verdict it changed are
    /// reported, each naming the walk's seed and its options. Returns the changed fixtures' options.
    /// </summary>
    private static List<QcowFixtureOptions> AssertWalkCatches(Func<ExpectedVerdict, ExpectedVerdict?> breakVerdict, Corruption? onlyKind = null)
    {
        var perturbed = new ConcurrentBag<QcowFixtureOptions>();
        ExpectedVerdict BrokenRule(QcowFixtureOptions options, ExpectedVerdict verdict)
        {
            if (onlyKind is { } kind && (options.Corruptions.Count != 1 || options.Corruptions[0] != kind))
            {
                return verdict;
            }
            if (breakVerdict(verdict) is not { } broken)
            {
                return verdict;
            }
            perturbed.Add(options);
            return broken;
        }

        var report = VerdictProperty.Run(BrokenRuleSeed, BrokenRuleCount, BrokenRule);

        TestContext.Out.WriteLine(report.Summary);
        var walk = report.Combinations.ToList();
        var changed = perturbed.Select(o => walk.FindIndex(w => ReferenceEquals(w, o))).Order().ToList();
        Assert.That(changed, Is.Not.Empty, "the walk builds at least one fixture the broken rule changes (else it proves nothing)");
        Assert.That(report.Failures.Select(f => f.Index), Is.EqualTo(changed), () => report.Explain());
        Assert.Multiple(() =>
        {
            foreach (var failure in report.Failures)
            {
                Assert.That(failure.ToString(), Does.StartWith($"seed {BrokenRuleSeed} #{failure.Index} {VerdictProperty.Describe(walk[failure.Index])}")
                    .And.Contain("qemu-img"));
            }
        });
        Assert.That(report.Explain(), Does.Contain($"QCOWKIT_PROPERTY_SEED={BrokenRuleSeed} QCOWKIT_PROPERTY_COUNT={BrokenRuleCount}"));
        return [.. perturbed];
    }

    private static bool Composes(QcowFixtureOptions options)
    {
        try
        {
            QcowFixtureBuilder.Compose(options, "image.qcow2");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
