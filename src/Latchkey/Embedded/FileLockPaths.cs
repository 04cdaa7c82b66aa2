using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Embedded;

/// <summary>
/// Where a primitive's files live: <c>DIR/&lt;kind&gt;/&lt;base&gt;.&lt;suffix&gt;</c>. The base is the escaped name,
/// with upper-case letters escaped too (<see cref="FoldCase"/>), when it fits a file name (255 bytes with the suffix), otherwise a readable prefix, <c>%%</c> and the
/// SHA-256 of the escaped name. An escaped name never holds <c>%%</c> (its <c>%</c> is always followed by
/// hex digits), so a hashed base cannot equal a plain one; suffixes hold no <c>.</c>, so the last dot splits.
/// </summary>
internal static class FileLockPaths
{
    public const string LockSuffix = "lock";
    public const string FenceSuffix = "fence";
    public const string GateSuffix = "gate";
    public const string ReaderWriterSuffix = "rw";
    public const string SlotSuffixPrefix = "slot";

    /// <summary>The longest base kept as is: 255 bytes less the longest suffix (<c>.slot2147483647</c>).</summary>
    public const int MaxPlainBase = 255 - 16;

    private const int HashedPrefix = 120;

    public static readonly LockKind[] Kinds = [LockKind.Lock, LockKind.ReaderWriter, LockKind.Semaphore, LockKind.Election];

    public static string KindFolder(LockKind kind) => kind switch
    {
        LockKind.Lock => "lock",
        LockKind.ReaderWriter => "rwlock",
        LockKind.Semaphore => "semaphore",
        _ => "election",
    };

    public static string BaseName(string escapedName)
    {
        escapedName = FoldCase(escapedName);
        if (escapedName.Length <= MaxPlainBase)
        {
            return escapedName;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(escapedName)));
        return string.Concat(escapedName.AsSpan(0, HashedPrefix), "%%", hash);
    }

    /// <summary>
    /// Writes upper-case letters as <c>%XX</c>, so that names differing only in case stay distinct files on
    /// a case-insensitive file system (a casefolded ext4 folder, a FAT or NTFS mount). Escaping never
    /// yields <c>%XX</c> for a letter and always writes its hex digits in upper case, so this stays one-to-one
    /// even when case is ignored.
    /// </summary>
    public static string FoldCase(string escapedName)
    {
        if (!escapedName.AsSpan().ContainsAnyInRange('A', 'Z'))
        {
            return escapedName;
        }

        var builder = new System.Text.StringBuilder(escapedName.Length + 16);
        for (var i = 0; i < escapedName.Length; i++)
        {
            var c = escapedName[i];
            if (c == '%')
            {
                builder.Append(escapedName, i, 3); // An escape: keep its upper-case hex digits.
                i += 2;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static string SlotSuffix(int slot) => SlotSuffixPrefix + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
