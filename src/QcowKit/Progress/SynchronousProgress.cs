namespace QcowKit;

/// <summary>
/// The one progress adapter of every surface: hands each value to <paramref name="report"/> on the
/// reporting thread (<see cref="Progress{T}"/> would post to the thread pool and could report after the
/// operation returned), optionally only once per <paramref name="step"/> and at the end.
/// </summary>
/// <typeparam name="T">The operation's progress value.</typeparam>
/// <param name="report">Receives the progress value.</param>
/// <param name="step">Report only when the fraction reaches the next multiple of this (0: every report).</param>
public sealed class SynchronousProgress<T>(Action<T> report, double step = 0) : IProgress<T>
    where T : IQcowProgress
{
    private readonly Action<T> _report = report ?? throw new ArgumentNullException(nameof(report));
    private readonly double _step = step;
    private double _next = step;

    /// <inheritdoc />
    public void Report(T value)
    {
        var fraction = value.Fraction;
        if (_step > 0)
        {
            if (fraction < _next && fraction < 1.0) return;
            _next = (Math.Floor(fraction / _step) * _step) + _step;
        }
        _report(value);
    }
}
