using System.Text;

namespace Latchkey;

/// <summary>Validation and escaping of lock names, shared by every backend.</summary>
public static class LockName
{
    /// <summary>The longest name, in UTF-8 bytes.</summary>
    public const int MaxUtf8Bytes = 1024;

    /// <summary>
    /// Checks that <paramref name="name"/> is text of 1–1,024 UTF-8 bytes: valid Unicode, no control characters.
    /// </summary>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="ArgumentException">The name is empty, too long or not text.</exception>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException($"Lock name must be 1–{MaxUtf8Bytes} UTF-8 bytes; got an empty string.", nameof(name));
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException($"Lock name must be text without control characters; got U+{(int)c:X4} at index {i}.", nameof(name));
            }

            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException($"Lock name must be valid Unicode; got a lone surrogate U+{(int)c:X4} at index {i}.", nameof(name));
            }
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxUtf8Bytes)
        {
            throw new ArgumentException($"Lock name must be 1–{MaxUtf8Bytes} UTF-8 bytes; got {bytes}.", nameof(name));
        }
    }

    /// <summary>
    /// Escapes a valid name into a key segment that can hold no separator: ASCII letters, digits and
    /// <c>-_~</c> stay, every other UTF-8 byte (including <c>/</c>, <c>%</c>, braces and spaces) becomes
    /// <c>%XX</c>, and so does a <c>.</c> in first place (so no name becomes <c>.</c> or <c>..</c>).
    /// Distinct names give distinct results. At most 3,072 characters.
    /// </summary>
    public static string Escape(string name)
    {
        var plain = true;
        for (var i = 0; i < name.Length && plain; i++)
        {
            plain = IsPlain(name[i]) || (name[i] == '.' && i > 0);
        }

        if (plain)
        {
            return name;
        }

        var bytes = Encoding.UTF8.GetBytes(name);
        var builder = new StringBuilder(bytes.Length * 3);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = (char)bytes[i];
            if (b < 0x80 && (IsPlain(b) || (b == '.' && i > 0)))
            {
                builder.Append(b);
            }
            else
            {
                builder.Append('%').Append(((int)b).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/>.</summary>
    public static string Unescape(string escaped) => Uri.UnescapeDataString(escaped);

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '~';
}
