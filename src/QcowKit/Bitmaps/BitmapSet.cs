using System.Text;
using QcowKit.Format;
using QcowKit.Image;

namespace QcowKit.Bitmaps;

/// <summary>
/// The bitmaps of one image as qemu holds them in memory while <c>qemu-img bitmap</c> runs: operations change this
/// model with qemu's checks and messages, and the image is written once at the end (<see cref="Changed"/>).
/// </summary>
internal sealed class BitmapSet
{
    /// <summary>qemu's BME_MAX_PHYS_SIZE: the most bytes a bitmap may take in memory.</summary>
    private const ulong MaxPhysicalSize = 0x2000_0000;

    private const string InconsistentHint = "Try block-dirty-bitmap-remove to delete this bitmap from disk";

    private readonly QcowImage? _image;
    private readonly string _node;
    private readonly List<Slot> _slots = [];

    private BitmapSet(QcowImage? image, string node)
    {
        _image = image;
        _node = node;
        if (image is not null)
        {
            foreach (var entry in image.BitmapEntries)
            {
                _slots.Add(new Slot(entry.Name, entry.GranularityBits)
                {
                    Enabled = (entry.Flags & BitmapFlags.Auto) != 0,
                    Inconsistent = (entry.Flags & BitmapFlags.InUse) != 0,
                    Stored = entry,
                });
            }
        }
    }

    /// <summary>True once an operation changed something that must be written.</summary>
    internal bool Changed { get; private set; }

    /// <summary>The bitmaps of a qcow2 image.</summary>
    internal static BitmapSet Of(QcowImage image, string node) => new(image, node);

    /// <summary>A raw image: no bitmaps, and none can be stored.</summary>
    internal static BitmapSet None(string node) => new(null, node);

    /// <summary>The disk size the bitmaps describe.</summary>
    private long DiskSize => _image?.VirtualSize ?? 0;

    /// <summary>Runs one operation; a refusal is qemu-img's "Operation OP on bitmap NAME failed: ..." message.</summary>
    internal void Apply(QcowBitmapOperation operation, string name, long? granularity, bool addDisabled, BitmapSet source)
    {
        var verb = operation.Action.ToString().ToLowerInvariant();
        try
        {
            switch (operation.Action)
            {
                case QcowBitmapAction.Add:
                    Add(name, granularity, addDisabled);
                    break;
                case QcowBitmapAction.Remove:
                    _slots.Remove(Lookup(name));
                    break;
                case QcowBitmapAction.Clear:
                    var cleared = Usable(Lookup(name));
                    cleared.Bits = new byte[BitsLength(cleared.GranularityBits)];
                    break;
                case QcowBitmapAction.Enable:
                case QcowBitmapAction.Disable:
                    Usable(Lookup(name)).Enabled = operation.Action == QcowBitmapAction.Enable;
                    break;
                case QcowBitmapAction.Merge:
                    Merge(name, source, operation.Source ?? throw new ArgumentException("A merge needs a source bitmap.", nameof(operation)));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operation), operation.Action, "Unknown bitmap action.");
            }
            Changed = true;
        }
        catch (QcowOptionsException ex)
        {
            var refusal = new QcowOptionsException($"Operation {verb} on bitmap {name} failed: {ex.Message}", ex);
            throw ex.SecondLine() is { } second ? refusal.WithSecondLine(second) : refusal;
        }
    }

    /// <summary>The bitmaps to store: unchanged ones keep their tables; in_use stays only on inconsistent ones.</summary>
    internal List<BitmapReplacement> ToReplacements() =>
    [
        .. _slots.Select(s => new BitmapReplacement(s.Name, s.GranularityBits,
            s.Inconsistent ? s.Stored!.Flags : s.Enabled ? BitmapFlags.Auto : BitmapFlags.None, s.Stored, s.Bits)),
    ];

    private void Add(string name, long? granularity, bool disabled)
    {
        if (name.Length == 0)
        {
            throw new QcowOptionsException("Bitmap name cannot be empty");
        }
        uint size;
        if (granularity is { } given and not 0)
        {
            // qemu passes the granularity on as a uint32: larger values wrap.
            size = unchecked((uint)given);
            if (size < 512 || !uint.IsPow2(size))
            {
                throw new QcowOptionsException("Granularity must be power of 2 and at least 512");
            }
        }
        else
        {
            size = (uint)Math.Clamp(_image?.ClusterSize ?? 65536, 4096, 65536);
        }
        if (Find(name) is not null)
        {
            throw new QcowOptionsException($"Bitmap already exists: {name}");
        }
        if (_image is null)
        {
            throw new QcowOptionsException($"Can't store persistent bitmaps to {_node}: Operation not supported");
        }
        var bits = (byte)uint.Log2(size);
        if (CannotStore(name, bits) is { } reason)
        {
            throw new QcowOptionsException($"Can't make bitmap '{name}' persistent in '{_node}': {reason}");
        }
        _slots.Add(new Slot(name, bits) { Enabled = !disabled, Bits = new byte[BitsLength(bits)] });
    }

    /// <summary>qemu's qcow2_co_can_store_new_dirty_bitmap and check_constraints_on_bitmap, in their order.</summary>
    private string? CannotStore(string name, byte granularityBits)
    {
        if (_image!.Header.Version < 3)
        {
            return "Cannot store dirty bitmaps in qcow2 v2 files";
        }
        if (granularityBits > QcowLimits.MaxBitmapGranularityBits)
        {
            return $"Granularity exceeds maximum ({1UL << QcowLimits.MaxBitmapGranularityBits} bytes)";
        }
        if (granularityBits < QcowLimits.MinBitmapGranularityBits)
        {
            return $"Granularity is under minimum ({1UL << QcowLimits.MinBitmapGranularityBits} bytes)";
        }
        var length = (UInt128)(ulong)DiskSize;
        if (length > (UInt128)MaxPhysicalSize << granularityBits
            || length > ((UInt128)PersistentBitmap.MaxTableSize * (ulong)_image.ClusterSize) << granularityBits)
        {
            return "Too much space will be occupied by the bitmap. Use larger granularity";
        }
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes > QcowLimits.MaxBitmapNameSize)
        {
            return $"Name length exceeds maximum ({QcowLimits.MaxBitmapNameSize} characters)";
        }
        if (_slots.Count + 1 > QcowLimits.MaxBitmaps)
        {
            return "Maximum number of persistent bitmaps is already reached";
        }
        var directory = _slots.Sum(s => EntrySize(Encoding.UTF8.GetByteCount(s.Name))) + EntrySize(nameBytes);
        return directory > QcowLimits.MaxBitmapDirectorySize ? "Not enough space in the bitmap directory" : null;

        static long EntrySize(int nameSize) => (QcowLimits.BitmapDirectoryEntryHeaderSize + nameSize + 7) & ~7;
    }

    private void Merge(string name, BitmapSet source, string sourceName)
    {
        var target = Usable(Lookup(name));
        var from = source.Find(sourceName) ?? throw new QcowOptionsException($"Dirty bitmap '{sourceName}' not found");
        Usable(from);
        if (source.DiskSize != DiskSize)
        {
            throw new QcowOptionsException(
                $"Bitmaps are of different sizes (destination size is {DiskSize}, source size is {source.DiskSize}) and can't be merged");
        }
        var sourceBits = source.BitsOf(from);
        var targetBits = BitsOf(target).ToArray();
        if (from.GranularityBits == target.GranularityBits)
        {
            for (var i = 0; i < Math.Min(sourceBits.Length, targetBits.Length); i++)
            {
                targetBits[i] |= sourceBits[i];
            }
        }
        else
        {
            // Every guest byte the source marks dirty marks the target bit that covers it (qemu's hbitmap_merge).
            var count = PersistentBitmap.BitCountFor(DiskSize, from.GranularityBits);
            for (var bit = 0L; bit < count; bit++)
            {
                if ((sourceBits[bit >> 3] & (1 << (int)(bit & 7))) == 0)
                {
                    continue;
                }
                var start = bit << from.GranularityBits;
                var end = Math.Min(DiskSize, (bit + 1) << from.GranularityBits);
                for (var t = start >> target.GranularityBits; t <= (end - 1) >> target.GranularityBits; t++)
                {
                    targetBits[t >> 3] |= (byte)(1 << (int)(t & 7));
                }
            }
        }
        target.Bits = targetBits;
    }

    private Slot? Find(string name) => _slots.Find(s => s.Name == name);

    private Slot Lookup(string name) => Find(name) ?? throw new QcowOptionsException($"Dirty bitmap '{name}' not found");

    /// <summary>qemu's bdrv_dirty_bitmap_check: an inconsistent bitmap can only be removed.</summary>
    private static Slot Usable(Slot slot) => slot.Inconsistent
        ? throw new QcowOptionsException($"Bitmap '{slot.Name}' is inconsistent and cannot be used").WithSecondLine(InconsistentHint)
        : slot;

    private byte[] BitsOf(Slot slot)
    {
        if (slot.Bits is null)
        {
            var stored = _image!.ReadBitmapBits(slot.Stored!);
            var bits = new byte[BitsLength(slot.GranularityBits)];
            stored.AsSpan(0, Math.Min(stored.Length, bits.Length)).CopyTo(bits);
            return bits;
        }
        return slot.Bits;
    }

    private int BitsLength(byte granularityBits) => checked((int)((PersistentBitmap.BitCountFor(DiskSize, granularityBits) + 7) / 8));

    private sealed class Slot(string name, byte granularityBits)
    {
        public string Name { get; } = name;

        public byte GranularityBits { get; } = granularityBits;

        public bool Enabled { get; set; }

        public bool Inconsistent { get; init; }

        public BitmapDirectoryEntry? Stored { get; init; }

        /// <summary>New contents; null while the stored ones still hold.</summary>
        public byte[]? Bits { get; set; }
    }
}
