using System.Buffers.Binary;
using System.Text;

namespace QcowKit.Seed.Partitioning;

/// <summary>
/// One 128-byte GPT partition entry: type GUID, unique GUID, first and last LBA (inclusive), attributes and a
/// 36-code-unit UTF-16LE name. GUIDs are stored in the mixed-endian layout <see cref="Guid.TryWriteBytes(Span{byte})"/> produces.
/// </summary>
internal static class GptPartitionEntry
{
    internal const int Size = 128;
    internal const int EntryCount = 128;

    /// <summary>EBD0A0A2-B9E5-4433-87C0-68B6B72699C7: Microsoft basic data, what FAT partitions use.</summary>
    internal static readonly Guid MicrosoftBasicData = new("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");

    private const int TypeOffset = 0;
    private const int UniqueOffset = 16;
    private const int FirstLbaOffset = 32;
    private const int LastLbaOffset = 40;
    private const int AttributesOffset = 48;
    private const int NameOffset = 56;
    private const int NameLength = 36;

    public static void Write(Span<byte> entry, Guid type, Guid unique, long firstLba, long lastLba, string name)
    {
        entry[..Size].Clear();
        type.TryWriteBytes(entry[TypeOffset..]);
        unique.TryWriteBytes(entry[UniqueOffset..]);
        BinaryPrimitives.WriteInt64LittleEndian(entry[FirstLbaOffset..], firstLba);
        BinaryPrimitives.WriteInt64LittleEndian(entry[LastLbaOffset..], lastLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[AttributesOffset..], 0);
        var shortened = name.Length > NameLength ? name[..NameLength] : name;
        Encoding.Unicode.GetBytes(shortened).CopyTo(entry[NameOffset..]);
    }
}
