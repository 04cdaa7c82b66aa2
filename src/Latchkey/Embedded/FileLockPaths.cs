using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Embedded;

/// <summary>
/// Where a primitive's files live: <c>DIR/&lt;kind&gt;/&lt;base&gt;.&lt;suffix&gt;</c>. The base is the escaped name
/// when it fits a file name (255 bytes with the suffix), otherwise a readable prefix, <c>%%</c> and the
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
        if (escapedName.Length <= MaxPlainBase)
        {
            return escapedName;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(escapedName)));
        return string.Concat(escapedName.AsSpan(0, HashedPrefix), "%%", hash);
    }

    public static string SlotSuffix(int slot) => SlotSuffixPrefix + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
