using System.Text;

namespace QcowKit.Fixtures;

internal static class Naming
{
    /// <summary>PascalCase to kebab-case: <c>L2EntryBeyondEof</c> → <c>l2-entry-beyond-eof</c>.</summary>
    internal static string Kebab(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0)
            {
                builder.Append('-');
            }
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
