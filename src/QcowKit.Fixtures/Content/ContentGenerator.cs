using System.Globalization;
using System.Text;
using System.Text.Json;
using Bogus;

namespace QcowKit.Fixtures.Content;

/// <summary>
/// Turns content segments into bytes with Bogus, deterministically: each segment gets its own
/// <see cref="Randomizer"/> seeded from the fixture seed and the segment's index, dates come from a
/// fixed reference instead of the clock, and numbers are formatted with the invariant culture.
/// </summary>
internal static class ContentGenerator
{
    /// <summary>The instant all generated timestamps count from (never the clock).</summary>
    internal static readonly DateTimeOffset ReferenceDate = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] LogLevels = ["DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"];
    private static readonly string[] Components = ["kernel", "sshd", "systemd", "cloud-init", "nginx", "postgres"];

    /// <summary>Writes segment <paramref name="index"/>'s bytes into <paramref name="destination"/> (its length is the segment's).</summary>
    internal static void Generate(ContentSegment segment, int seed, int index, Span<byte> destination)
    {
        var randomizer = new Randomizer(unchecked((seed * 1_000_003) + index));
        var faker = new Faker("en") { Random = randomizer };
        switch (segment.Kind)
        {
            case ContentKind.Text:
                FillLines(destination, () => faker.Lorem.Paragraph(4) + "\n");
                break;
            case ContentKind.Json:
                {
                    var id = 0;
                    FillLines(destination, () => JsonRecord(faker, ++id));
                    break;
                }
            case ContentKind.LogLines:
                {
                    var at = ReferenceDate;
                    FillLines(destination, () =>
                    {
                        at = at.AddMilliseconds(faker.Random.Int(1, 5000));
                        return string.Create(CultureInfo.InvariantCulture,
                            $"{at:yyyy-MM-ddTHH:mm:ss.fffZ} {faker.PickRandom(LogLevels),-5} [{faker.PickRandom(Components)}] {faker.Hacker.Phrase()}\n");
                    });
                    break;
                }
            case ContentKind.RandomBinary:
                for (var at = 0; at < destination.Length; at += 4096)
                {
                    var chunk = destination[at..Math.Min(destination.Length, at + 4096)];
                    randomizer.Bytes(chunk.Length).CopyTo(chunk);
                }
                break;
            case ContentKind.Zeros:
            case ContentKind.Hole:
                destination.Clear();
                break;
            case ContentKind.Bytes:
                segment.Data!.Value.Span.CopyTo(destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(segment), segment.Kind, "unknown content kind");
        }
    }

    private static string JsonRecord(Faker faker, int id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("name", faker.Name.FullName());
            writer.WriteString("email", faker.Internet.Email());
            writer.WriteString("company", faker.Company.CompanyName());
            writer.WriteString("city", faker.Address.City());
            writer.WriteString("amount", (faker.Random.Int(0, 10_000_000) / 100m).ToString("0.00", CultureInfo.InvariantCulture));
            writer.WriteString("created", ReferenceDate.AddSeconds(faker.Random.Int(0, 365 * 24 * 3600)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteBoolean("active", faker.Random.Bool());
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void FillLines(Span<byte> destination, Func<string> next)
    {
        var at = 0;
        while (at < destination.Length)
        {
            var bytes = Encoding.UTF8.GetBytes(next());
            var count = Math.Min(bytes.Length, destination.Length - at);
            bytes.AsSpan(0, count).CopyTo(destination[at..]);
            at += count;
        }
    }
}
