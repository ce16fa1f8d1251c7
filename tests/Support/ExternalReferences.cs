using System.Text.RegularExpressions;

namespace Pluggable.Testing;

/// <summary>
/// The references of a page or stylesheet to another host, absolute (<c>https://</c>) or scheme-relative (<c>//host</c>),
/// in whatever quoting: in src, href, srcset or action, CSS url() and @import, and JavaScript import. A generated page
/// must work on a server without internet and reach nothing outside the host.
/// </summary>
public static partial class ExternalReferences
{
    public static IReadOnlyList<string> In(string text) => Reference().Matches(text).Select(m => m.Value).ToArray();

    [GeneratedRegex("""(?:\b(?:src|href|srcset|action)\s*=\s*["']?|\burl\(\s*["']?|@import\s+(?:url\(\s*)?["']?|\bimport\s*\(\s*["'`]|\b(?:import|from)\s+["'`])\s*(?:[a-z][a-z0-9+.-]*:)?//[^\s"'`)>]*""", RegexOptions.IgnoreCase)]
    private static partial Regex Reference();
}
