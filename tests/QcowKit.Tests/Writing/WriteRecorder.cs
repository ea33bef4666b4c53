using QcowKit.Image.Files;
using QcowKit.Image.Writing;

namespace QcowKit.Tests.Writing;

/// <summary>One host write (or a flush, with <see cref="Data"/> null) the write engine made, in order.</summary>
internal sealed record RecordedWrite(long Offset, byte[]? Data, bool GuestData)
{
    public bool IsFlush => Data is null;

    public bool IsMetadata => Data is not null && !GuestData;
}

/// <summary>Records every write and flush the engine makes to one image file (no external data file).</summary>
internal sealed class WriteRecorder : IHostWriteObserver
{
    private HostFile? _file;

    public List<RecordedWrite> Writes { get; } = [];

    public void Writing(HostFile file, long offset, ReadOnlySpan<byte> data, bool guestData)
    {
        CheckFile(file);
        Writes.Add(new RecordedWrite(offset, data.ToArray(), guestData));
    }

    public void Flushing(HostFile file)
    {
        CheckFile(file);
        Writes.Add(new RecordedWrite(-1, null, false));
    }

    private void CheckFile(HostFile file)
    {
        _file ??= file;
        if (!ReferenceEquals(_file, file))
        {
            throw new InvalidOperationException("The recorder follows one file; this workload wrote to a second one.");
        }
    }
}
