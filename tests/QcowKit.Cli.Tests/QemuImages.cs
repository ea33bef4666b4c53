using QcowKit.TestSupport;

namespace QcowKit.Cli.Tests;

/// <summary>
/// qcow2 images made by qemu-img and qemu-io, one per layout the verbs must report like qemu-img,
/// built once per test run into one temp folder. Each kind is a recipe run in that folder.
/// </summary>
internal static class QemuImages
{
    private static readonly Lazy<TempDirectory> Folder = new(() => new TempDirectory("cli-images"));
    private static readonly Dictionary<string, string> Built = [];
    private static readonly Lock Gate = new();

    /// <summary>Kinds with the layout each exercises.</summary>
    public static readonly string[] Kinds =
    [
        "v3-data-zero-compressed",
        "v2-compat-0.10",
        "extended-l2-subclusters",
        "zstd-compressed",
        "lazy-dirty-refcount1",
        "cluster512-refcount64",
        "snapshots-and-bitmaps",
        "external-data-file",
        "overlay-on-qcow2",
        "overlay-on-raw",
        "overlay-longer-than-backing",
        "bitmap-in-use",
    ];

    /// <summary>Deletes the folder after the run (called by <see cref="CliTestRun"/>).</summary>
    public static void DeleteAll()
    {
        if (Folder.IsValueCreated) Folder.Value.Dispose();
    }

    /// <summary>Kinds whose map is compared with qemu-img's: every kind.</summary>
    public static readonly string[] MapKinds = Kinds;

    /// <summary>The image of <paramref name="kind"/> (absolute path), building it on first use.</summary>
    public static string Get(string kind)
    {
        lock (Gate)
        {
            if (!Built.TryGetValue(kind, out var path))
            {
                path = Build(kind, Folder.Value);
                Built[kind] = path;
            }
            return path;
        }
    }

    private static string Build(string kind, TempDirectory temp)
    {
        var image = temp.File($"{kind}.qcow2");
        switch (kind)
        {
            case "v3-data-zero-compressed":
                Qemu.CreateQcow2(image, "4M");
                Qemu.Io(image, "write -P 0x11 0 128k", "write -c -P 0x22 1M 64k", "write -c -P 0x23 1088k 64k", "write -z 2M 64k", "write -P 0x33 3M 4k");
                break;
            case "v2-compat-0.10":
                Qemu.CreateQcow2(image, "2M", "compat=0.10");
                Qemu.Io(image, "write -P 0x44 64k 192k", "write -c -P 0x45 1M 64k");
                break;
            case "extended-l2-subclusters":
                Qemu.CreateQcow2(image, "2M", "extended_l2=on,cluster_size=64k");
                Qemu.Io(image, "write -P 0x55 2k 2k", "write -z 8k 8k", "write -P 0x56 128k 6k", "write -P 0x57 1M 64k");
                break;
            case "zstd-compressed":
                Qemu.CreateQcow2(image, "2M", "compression_type=zstd");
                Qemu.Io(image, "write -c -P 0x66 0 64k", "write -c -P 0x67 64k 64k", "write -P 0x68 512k 64k");
                break;
            case "lazy-dirty-refcount1":
                Qemu.CreateQcow2(image, "1M", "lazy_refcounts=on,refcount_bits=1");
                // abort leaves the dirty bit set, as a crash would.
                ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0x77 0 64k", "-c", "abort", image]);
                break;
            case "cluster512-refcount64":
                Qemu.CreateQcow2(image, "256k", "cluster_size=512,refcount_bits=64");
                Qemu.Io(image, "write -P 0x88 0 3k", "write -P 0x89 100k 1k");
                break;
            case "snapshots-and-bitmaps":
                Qemu.CreateQcow2(image, "1M");
                Qemu.Io(image, "write -P 0x99 0 64k");
                Qemu.ImgOk("snapshot", "-c", "first", image);
                Qemu.Io(image, "write -P 0x9a 64k 64k");
                Qemu.ImgOk("snapshot", "-c", "second snapshot", image);
                Qemu.ImgOk("bitmap", "--add", image, "bm0");
                Qemu.ImgOk("bitmap", "--add", "-g", "128k", image, "bm1");
                Qemu.ImgOk("bitmap", "--disable", image, "bm1");
                break;
            case "external-data-file":
                Qemu.CreateQcow2(image, "1M", $"data_file={temp.File("external.raw")},data_file_raw=on");
                Qemu.Io(image, "write -P 0xaa 64k 64k");
                break;
            case "overlay-on-qcow2":
            {
                var backing = temp.File("backing-of-overlay.qcow2");
                Qemu.CreateQcow2(backing, "2M");
                Qemu.Io(backing, "write -P 0xb1 0 256k", "write -c -P 0xb2 1M 64k", "write -z 1536k 64k");
                Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "backing-of-overlay.qcow2", "-F", "qcow2", image);
                Qemu.Io(image, "write -P 0xb3 64k 64k", "write -z 128k 64k");
                break;
            }
            case "overlay-on-raw":
            {
                var backing = temp.File("backing-raw.img");
                using (var file = File.Create(backing))
                {
                    file.SetLength(1024 * 1024);
                    file.Position = 128 * 1024;
                    file.Write(Enumerable.Repeat((byte)0xc1, 8192).ToArray());
                }
                Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", backing, "-F", "raw", image);
                Qemu.Io(image, "write -P 0xc2 0 64k");
                break;
            }
            case "overlay-longer-than-backing":
            {
                var backing = temp.File("short-backing.qcow2");
                Qemu.CreateQcow2(backing, "1M");
                Qemu.Io(backing, "write -P 0xd1 960k 64k");
                Qemu.ImgOk("create", "-q", "-f", "qcow2", "-b", "short-backing.qcow2", "-F", "qcow2", image, "3M");
                Qemu.Io(image, "write -P 0xd2 2M 64k");
                break;
            }
            case "bitmap-in-use":
                Qemu.CreateQcow2(image, "1M");
                Qemu.ImgOk("bitmap", "--add", image, "tracked");
                // A read-write open marks the auto bitmap in use; abort leaves it so.
                ProcessRunner.Run(Qemu.IoPath, ["-f", "qcow2", "-c", "write -P 0xe1 0 64k", "-c", "abort", image]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown image kind");
        }
        return image;
    }
}

/// <summary>Run-wide set-up: removes the shared images at the end.</summary>
[SetUpFixture]
public sealed class CliTestRun
{
    [OneTimeTearDown]
    public void DeleteImages() => QemuImages.DeleteAll();
}
