namespace QcowKit.Tasks;

/// <summary>
/// Maps MSBuild parameters onto qemu-img's create option names, so that every value goes through the
/// engine's own parser and is refused with qemu-img's wording.
/// </summary>
internal static class CreateOptionParameters
{
    /// <summary>Builds the options: <paramref name="optionList"/> (qemu's -o) first, then each set parameter on top.</summary>
    /// <exception cref="QcowOptionsException">A value or combination qemu-img refuses.</exception>
    public static QcowCreateOptions Build(string? optionList, string? size, IEnumerable<(string QemuName, string? Value)> parameters)
    {
        var options = QcowCreateOptions.Parse(string.IsNullOrWhiteSpace(optionList) ? null : optionList);
        if (!string.IsNullOrWhiteSpace(size))
        {
            options.Set("size", size.Trim());
        }
        foreach (var (name, value) in parameters)
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            var text = value.Trim();
            // MSBuild writes booleans as True/False; qemu's parser takes lower case.
            if (bool.TryParse(text, out var flag)) text = flag ? "on" : "off";
            options.Set(name, text);
        }
        options.Validate();
        return options;
    }
}
