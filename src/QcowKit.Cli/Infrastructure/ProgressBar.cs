using System.Globalization;

namespace QcowKit.Cli.Infrastructure;

/// <summary>
/// qemu-img's <c>-p</c> progress (util/qemu-progress.c): <c>    (NN.NN/100%)</c> followed by a carriage
/// return, reprinted whenever progress advanced by at least the minimum step, and a newline at the
/// end. qemu writes it to stdout; we write it to stderr so that stdout stays parseable.
/// </summary>
internal sealed class ProgressBar : IProgress<double>
{
    private readonly TextWriter? _writer;
    private readonly double _minimumStep;
    private readonly Lock _gate = new();
    private double _current;
    private double _lastPrinted = double.NegativeInfinity;

    /// <summary>Creates a bar; with <paramref name="writer"/> null it stays silent (no <c>-p</c>).</summary>
    /// <param name="writer">Where the bar goes, or null.</param>
    /// <param name="minimumStep">Percent points between reprints (qemu: 1.0 for convert, 2.0 for compare).</param>
    public ProgressBar(TextWriter? writer, double minimumStep)
    {
        _writer = writer;
        _minimumStep = minimumStep;
        Print(0, force: true);
    }

    /// <summary>Sets the absolute progress in percent (0..100).</summary>
    public void Report(double value) => Print(Math.Clamp(value, 0, 100), force: false);

    /// <summary>Adds <paramref name="done"/> of <paramref name="total"/> units to the progress.</summary>
    public void Advance(long done, long total)
    {
        if (total <= 0) return;
        lock (_gate)
        {
            Print(_current + 100.0 * done / total, force: false);
        }
    }

    /// <summary>Prints 100% and ends the line, as qemu does on success.</summary>
    public void Finish()
    {
        Print(100, force: true);
        if (_writer is null) return;
        lock (_gate)
        {
            _writer.Write('\n');
            _writer.Flush();
        }
    }

    private void Print(double value, bool force)
    {
        lock (_gate)
        {
            _current = Math.Min(value, 100);
            if (_writer is null || (!force && _current - _lastPrinted < _minimumStep)) return;
            _lastPrinted = _current;
            _writer.Write(string.Create(CultureInfo.InvariantCulture, $"    ({_current:0.00}/100%)\r"));
            _writer.Flush();
        }
    }
}
