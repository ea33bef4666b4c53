using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Build.Framework;

namespace QcowKit.Tasks.Tests;

/// <summary>An MSBuild engine that records what a task logs, so a test can assert codes, files and texts.</summary>
internal sealed class FakeBuildEngine : IBuildEngine
{
    private readonly ConcurrentQueue<BuildErrorEventArgs> _errors = new();
    private readonly ConcurrentQueue<BuildWarningEventArgs> _warnings = new();
    private readonly ConcurrentQueue<BuildMessageEventArgs> _messages = new();

    public IReadOnlyList<BuildErrorEventArgs> Errors => [.. _errors];

    public IReadOnlyList<BuildWarningEventArgs> Warnings => [.. _warnings];

    public IReadOnlyList<BuildMessageEventArgs> Messages => [.. _messages];

    public bool ContinueOnError => false;

    public int LineNumberOfTaskNode => 0;

    public int ColumnNumberOfTaskNode => 0;

    public string ProjectFileOfTaskNode => "test.proj";

    public void LogErrorEvent(BuildErrorEventArgs e) => _errors.Enqueue(e);

    public void LogWarningEvent(BuildWarningEventArgs e) => _warnings.Enqueue(e);

    /// <summary>Called for every logged message, e.g. to cancel a task in the middle of its work.</summary>
    public Action<BuildMessageEventArgs>? OnMessage { get; set; }

    public void LogMessageEvent(BuildMessageEventArgs e)
    {
        _messages.Enqueue(e);
        OnMessage?.Invoke(e);
    }

    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs)
        => throw new NotSupportedException("QcowKit tasks never build other projects.");

    /// <summary>Every error and warning as "file : severity CODE: message" lines, for assertion messages.</summary>
    public string Describe()
        => string.Join('\n', Errors.Select(e => $"{e.File} : error {e.Code}: {e.Message}")
            .Concat(Warnings.Select(w => $"{w.File} : warning {w.Code}: {w.Message}"))
            .Concat(Messages.Select(m => $"message: {m.Message}")));
}
