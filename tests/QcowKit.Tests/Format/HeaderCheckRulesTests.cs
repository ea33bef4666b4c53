using QcowKit.Format;
using QcowKit.Tests.Check;
using QcowKit.TestSupport;

namespace QcowKit.Tests.Format;

/// <summary>
/// <see cref="QcowHeaderRules.Check"/> against <see cref="QcowHeaderRules.Open"/>: each header that
/// qemu-img check still opens but a normal open refuses parses only with the check rules, and each
/// header qemu-img check refuses is refused by both, naming the same field.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class HeaderCheckRulesTests
{
    private TempDirectory _bases = null!;
    private string _plain = null!;
    private string _withSnapshot = null!;

    /// <summary>qemu builds the two base images once; each test edits its own copy.</summary>
    [OneTimeSetUp]
    public void BuildBases()
    {
        _bases = new TempDirectory("rules-check-bases");
        _plain = _bases.File("plain.qcow2");
        CheckCorpus.Base(_plain);
        _withSnapshot = _bases.File("snapshot.qcow2");
        File.Copy(_plain, _withSnapshot);
        Qemu.ImgOk("snapshot", "-c", "s1", _withSnapshot);
    }

    [OneTimeTearDown]
    public void DeleteBases() => _bases.Dispose();

    private string MakeImage(TempDirectory temp, Action<QcowFileEditor> edit, bool snapshot = false)
    {
        var path = temp.File("image.qcow2");
        File.Copy(snapshot ? _withSnapshot : _plain, path);
        using var editor = new QcowFileEditor(path);
        edit(editor);
        return path;
    }

    private static QcowHeader Parse(string path, QcowHeaderRules rules)
    {
        var bytes = File.ReadAllBytes(path);
        var cluster = new byte[65536];
        bytes.AsSpan(0, Math.Min(bytes.Length, cluster.Length)).CopyTo(cluster);
        return QcowHeader.Parse(cluster, bytes.Length, rules);
    }

    /// <summary>qemu-img check opened the image: it printed a report (whatever it found) rather than "Could not open".</summary>
    private static void AssertQemuCheckOpens(string path)
    {
        var check = Qemu.Check(path);
        Assert.That(check.Raw.StandardError, Does.Not.Contain("Could not open"), check.Raw.Describe());
        Assert.That(check.Report, Is.Not.Null, check.Raw.Describe());
    }

    private static void AssertQemuOpenRefuses(string path)
    {
        var open = ProcessRunner.Run(Qemu.IoPath, ["-r", "-f", "qcow2", "-c", "read 0 512", path]);
        Assert.That(open.ExitCode, Is.Not.Zero, open.Describe());
    }

    [Test]
    public void Check_rules_accept_zero_refcount_table_clusters_which_open_rules_refuse()
    {
        using var temp = new TempDirectory("rules-check-reftable");
        var path = MakeImage(temp, e => e.SetU32(56, 0));

        var error = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Open))!;
        Assert.That(error.Field, Is.EqualTo("refcount_table_clusters"));
        Assert.That(Parse(path, QcowHeaderRules.Check).RefcountTableClusters, Is.Zero);
        AssertQemuOpenRefuses(path);
        AssertQemuCheckOpens(path);
    }

    [Test]
    public void Check_and_open_rules_accept_an_l1_table_past_the_end_of_the_file_and_write_rules_do_not()
    {
        using var temp = new TempDirectory("rules-check-l1-eof");
        var path = MakeImage(temp, e => e.SetU64(40, (ulong)e.Length + 8UL * (ulong)e.ClusterSize));

        var error = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Write))!;
        Assert.That(error.Field, Is.EqualTo("l1_table_offset"));
        Assert.That(Parse(path, QcowHeaderRules.Open).L1TableOffset, Is.GreaterThan((ulong)new FileInfo(path).Length));
        Assert.That(Parse(path, QcowHeaderRules.Check).L1TableOffset, Is.GreaterThan((ulong)new FileInfo(path).Length));
        AssertQemuCheckOpens(path);
    }

    [Test]
    public void Check_and_open_rules_accept_a_refcount_table_past_the_end_of_the_file_and_write_rules_do_not()
    {
        using var temp = new TempDirectory("rules-check-reftable-eof");
        var path = MakeImage(temp, e => e.SetU64(48, (ulong)e.Length + 8UL * (ulong)e.ClusterSize));

        var error = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Write))!;
        Assert.That(error.Field, Is.EqualTo("refcount_table_offset"));
        Assert.That(Parse(path, QcowHeaderRules.Open).RefcountTableOffset, Is.GreaterThan((ulong)new FileInfo(path).Length));
        Assert.That(Parse(path, QcowHeaderRules.Check).RefcountTableOffset, Is.GreaterThan((ulong)new FileInfo(path).Length));
        AssertQemuCheckOpens(path);
    }

    [Test]
    public void Check_rules_leave_an_unaligned_snapshot_table_to_the_check()
    {
        using var temp = new TempDirectory("rules-check-snapshots");
        var path = MakeImage(temp, e => e.SetU64(64, e.SnapshotsOffset + 8), snapshot: true);

        var error = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Open))!;
        Assert.That(error.Field, Is.EqualTo("snapshots_offset"));
        var header = Parse(path, QcowHeaderRules.Check);
        Assert.That(header.NbSnapshots, Is.EqualTo(1u), "the pointer is kept as stored for the check to report");
        Assert.That(header.SnapshotsOffset % 65536, Is.EqualTo(8UL));
        Assert.That(Qemu.Img("info", path).ExitCode, Is.Not.Zero, "qemu-img info refuses it");
        var check = Qemu.Check(path);
        Assert.That(check.Raw.StandardError, Does.Not.Contain("Could not open").And.Contain("snapshot table offset invalid"), check.Raw.Describe());
    }

    [Test]
    public void Check_rules_accept_more_snapshots_than_the_limit()
    {
        using var temp = new TempDirectory("rules-check-nb-snapshots");
        var path = MakeImage(temp, e => e.SetU32(60, 70000), snapshot: true);

        var error = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Open))!;
        Assert.That(error.Field, Is.EqualTo("nb_snapshots"));
        Assert.That(Parse(path, QcowHeaderRules.Check).NbSnapshots, Is.EqualTo(70000u));
        var check = Qemu.Check(path);
        Assert.That(check.Raw.StandardError, Does.Not.Contain("Could not open").And.Contain("snapshot table too large"), check.Raw.Describe());
    }

    /// <summary>Rules qemu applies at check time too: both rule sets refuse, with the same field.</summary>
    [TestCase("l1_table_offset", 40, 8UL, TestName = "Check_rules_still_refuse_an_unaligned_l1_table_offset")]
    [TestCase("l1_size", 36, 0UL, TestName = "Check_rules_still_refuse_an_l1_table_too_small_for_the_virtual_size")]
    [TestCase("refcount_table_offset", 48, 8UL, TestName = "Check_rules_still_refuse_an_unaligned_refcount_table_offset")]
    [TestCase("refcount_order", 96, 7UL, TestName = "Check_rules_still_refuse_refcount_order_above_6")]
    [TestCase("crypt_method", 32, 3UL, TestName = "Check_rules_still_refuse_an_unknown_crypt_method")]
    public void Check_rules_still_refuse_what_qemu_img_check_refuses(string field, int offset, ulong value)
    {
        using var temp = new TempDirectory("rules-check-refuse-" + field);
        var path = MakeImage(temp, e =>
        {
            switch (offset)
            {
                case 40: e.SetU64(40, e.L1Offset + value); break;
                case 48: e.SetU64(48, e.RefcountTableOffset + value); break;
                default: e.SetU32((ulong)offset, (uint)value); break;
            }
        });

        var open = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Open))!;
        var check = Assert.Throws<QcowFormatException>(() => Parse(path, QcowHeaderRules.Check))!;
        Assert.That(open.Field, Is.EqualTo(field));
        Assert.That(check.Field, Is.EqualTo(field));
        var qemu = Qemu.Check(path);
        Assert.That(qemu.ExitCode, Is.EqualTo(1), qemu.Raw.Describe());
        Assert.That(qemu.Raw.StandardError, Does.Contain("Could not open"), qemu.Raw.Describe());
    }
}
