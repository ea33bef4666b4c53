namespace QcowKit.Cli.Infrastructure;

/// <summary>qemu-img's <c>--output</c> values.</summary>
internal enum OutputFormat
{
    Human = 0,
    Json,
}
