using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;
using NUnit.Framework;
using QcowKit.Image.Locking;

namespace QcowKit.TestSupport;

/// <summary>
/// A real qemu process (interactive qemu-io with its stdin kept open, or qemu-nbd on a unix socket) holding an
/// image open, as a user's running VM tool would. Construction returns once qemu's lock bytes are on the file;
/// disposing ends the process (quit, then kill after a bounded wait). Always use it in a using block.
/// </summary>
public sealed class QemuHolder : IDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly bool _quitsOnCommand;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private QemuHolder(string tool, IReadOnlyList<string> arguments, string image, bool quitsOnCommand)
    {
        _quitsOnCommand = quitsOnCommand;
        var startInfo = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            WaitUntilLocked(image, $"{Path.GetFileName(tool)} {string.Join(' ', arguments)}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>`qemu-io [-r] -f FORMAT IMAGE`, interactive: it holds the image until disposed.</summary>
    public static QemuHolder QemuIo(string image, bool readOnly = false, string format = "qcow2")
    {
        var arguments = new List<string>();
        if (readOnly) arguments.Add("-r");
        arguments.AddRange(["-f", format, image]);
        return new QemuHolder(Qemu.IoPath, arguments, image, quitsOnCommand: true);
    }

    /// <summary>`qemu-nbd [-r] -f FORMAT --socket SOCKET IMAGE`: exports the image until disposed.</summary>
    public static QemuHolder QemuNbd(string image, string socket, bool readOnly = false, string format = "qcow2")
    {
        var arguments = new List<string>();
        if (readOnly) arguments.Add("-r");
        arguments.AddRange(["-f", format, "--socket", socket, image]);
        return new QemuHolder(NbdPath, arguments, image, quitsOnCommand: false);
    }

    private static string NbdPath
    {
        get
        {
            var io = Qemu.IoPath;
            var nbd = Path.Combine(Path.GetDirectoryName(io)!, "qemu-nbd");
            if (!File.Exists(nbd)) Assert.Fail("qemu-nbd is required by this test; install it with: apt-get install -y qemu-utils");
            return nbd;
        }
    }

    /// <summary>What the process printed so far (for assertion messages).</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Every qemu user of an image holds consistent read (byte 100) once it has opened it.</summary>
    private void WaitUntilLocked(string image, string description)
    {
        var clock = Stopwatch.StartNew();
        using var probe = File.OpenHandle(image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        while (!HeldByOthers(probe, 100))
        {
            if (_process.HasExited)
            {
                Assert.Fail($"'{description}' exited ({_process.ExitCode}) before it locked the image: {Output}");
            }
            if (clock.Elapsed > StartLimit)
            {
                Assert.Fail($"'{description}' did not lock the image within {StartLimit.TotalSeconds} s: {Output}");
            }
            Thread.Sleep(20);
        }
    }

    private static bool HeldByOthers(SafeFileHandle handle, long offset) => OfdLocks.HeldByOthers(handle, offset);

    /// <summary>Quits qemu-io (then kills it if it has not gone within a few seconds); kills qemu-nbd.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.WriteLine("quit");
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // Already gone: the pipe is closed.
                }
                // qemu-nbd serves until killed; qemu-io quits on the command.
                if (!_quitsOnCommand || !_process.WaitForExit(StopLimit))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(StopLimit);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
