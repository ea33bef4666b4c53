using System.Text;
using QcowKit.Seed;
using QcowKit.Seed.Fat;

namespace QcowKit.Tests.Seed;

public sealed class FatNameTests
{
    private static FatDirectory Folder(params string[] names)
    {
        var root = new FatDirectory(string.Empty, FatTimestamp.Epoch, "/");
        foreach (var name in names)
        {
            root.Children.Add(new FatFile(name, FatTimestamp.Epoch, 0, () => Stream.Null, name));
        }
        root.AssignNames();
        return root;
    }

    private static string Short(FatDirectory folder, string name) =>
        Encoding.ASCII.GetString(folder.Children.Single(c => c.Name == name).ShortName);

    [Test]
    public void Upper_case_8_3_names_are_stored_without_long_name_entries()
    {
        var folder = Folder("README.TXT", "MAKEFILE");

        Assert.That(Short(folder, "README.TXT"), Is.EqualTo("README  TXT"));
        Assert.That(Short(folder, "MAKEFILE"), Is.EqualTo("MAKEFILE   "));
        Assert.That(folder.Children.Any(c => c.NeedsLongName), Is.False);
    }

    [Test]
    public void Lower_case_names_that_fit_8_3_keep_their_basis_name_and_get_a_long_name()
    {
        var folder = Folder("readme.md");

        Assert.That(Short(folder, "readme.md"), Is.EqualTo("README  MD "));
        Assert.That(folder.Children[0].NeedsLongName, Is.True);
    }

    [Test]
    public void Truncated_names_get_increasing_numeric_tails_in_name_order()
    {
        var folder = Folder("longfilename-2.txt", "longfilename-1.txt", "user-data", "meta-data", "archive.tar.gz");

        Assert.That(Short(folder, "longfilename-1.txt"), Is.EqualTo("LONGFI~1TXT"));
        Assert.That(Short(folder, "longfilename-2.txt"), Is.EqualTo("LONGFI~2TXT"));
        Assert.That(Short(folder, "user-data"), Is.EqualTo("USER-D~1   "));
        Assert.That(Short(folder, "meta-data"), Is.EqualTo("META-D~1   "));
        Assert.That(Short(folder, "archive.tar.gz"), Is.EqualTo("ARCHIV~1GZ "));
    }

    [Test]
    public void Generated_short_names_skip_names_already_taken_by_exact_short_names()
    {
        var folder = Folder("FOO~1.TXT", "foo bar.txt");

        Assert.That(Short(folder, "FOO~1.TXT"), Is.EqualTo("FOO~1   TXT"));
        Assert.That(Short(folder, "foo bar.txt"), Is.EqualTo("FOOBAR~1TXT"));
    }

    [Test]
    public void Lossy_characters_become_underscores_with_a_numeric_tail()
    {
        var folder = Folder("a+b.txt", "Ünï.txt");

        Assert.That(Short(folder, "a+b.txt"), Is.EqualTo("A_B~1   TXT"));
        Assert.That(Short(folder, "Ünï.txt"), Is.EqualTo("ÜNÏ~1   TXT".Replace('Ü', '_').Replace('Ï', '_')));
    }

    [Test]
    public void Numeric_tails_shorten_the_basis_when_they_grow()
    {
        var names = Enumerable.Range(0, 12).Select(i => $"samebasis{i:D2}.log").ToArray();
        var folder = Folder(names);

        Assert.That(Short(folder, "samebasis08.log"), Is.EqualTo("SAMEBA~9LOG"));
        Assert.That(Short(folder, "samebasis09.log"), Is.EqualTo("SAMEB~10LOG"));
        Assert.That(folder.Children.Select(c => Encoding.ASCII.GetString(c.ShortName)).Distinct().Count(), Is.EqualTo(12));
    }

    [Test]
    public void Names_that_differ_only_in_case_are_rejected()
    {
        var error = Assert.Throws<SeedException>(() => Folder("Notes.txt", "notes.TXT"));

        Assert.That(error!.Message, Does.Contain("differ only in case"));
    }

    [TestCase("what?.txt")]
    [TestCase("a:b")]
    [TestCase("trailing.")]
    [TestCase("back\\slash")]
    public void Names_fat_cannot_hold_are_rejected(string name)
    {
        var error = Assert.Throws<SeedException>(() => Folder(name));

        Assert.That(error!.Message, Does.Contain(name).And.Contain("cannot be stored on FAT"));
    }

    [Test]
    public void Names_longer_than_255_code_units_are_rejected()
    {
        Assert.Throws<SeedException>(() => Folder(new string('x', 256)));
    }

    [Test]
    public void Long_name_entries_hold_utf16_code_units_with_checksum_terminator_and_padding()
    {
        const string Name = "emoji 😀.txt";
        var shortName = "EMOJI_~1TXT"u8.ToArray();
        var checksum = FatShortName.Checksum(shortName);
        var entries = new byte[64];

        var written = FatLongNameEntry.Write(entries, Name, checksum);

        Assert.That(written, Is.EqualTo(32), "12 code units fit one entry");
        Assert.That(entries[0], Is.EqualTo(0x41), "sequence 1, flagged last");
        Assert.That(entries[11], Is.EqualTo(0x0F));
        Assert.That(entries[13], Is.EqualTo(checksum));
        var units = new[] { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 }
            .Select(o => (char)(entries[o] | (entries[o + 1] << 8))).ToArray();
        Assert.That(new string(units, 0, 12), Is.EqualTo(Name), "the surrogate pair is stored as two units, in order");
        Assert.That(units[12], Is.EqualTo('\0'));
    }

    [Test]
    public void Long_name_checksum_matches_what_mtools_writes()
    {
        // mcopy of "user-data" onto a mkfs.fat volume wrote short name USER-D~1 and checksum 0xB0 in its long name entry.
        Assert.That(FatShortName.Checksum("USER-D~1   "u8), Is.EqualTo(0xB0));
    }
}
