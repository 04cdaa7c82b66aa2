using System.Globalization;

namespace Latchkey.Conformance.Worker;

/// <summary>
/// A resource that honours fencing tokens: it remembers the highest token that wrote to it and
/// refuses any lower one. A file, so that separate processes share it.
/// </summary>
public static class FencedResource
{
    /// <summary>Writes as <paramref name="token"/> unless a higher token already wrote; true when accepted.</summary>
    public static async Task<bool> TryWriteAsync(string path, long token, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // FileShare.None makes the read-compare-write atomic against other processes.
                await using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                using var reader = new StreamReader(file, leaveOpen: true);
                var text = await reader.ReadToEndAsync(cancellationToken);
                var highest = text.Length == 0 ? 0 : long.Parse(text, CultureInfo.InvariantCulture);
                if (token < highest)
                {
                    return false;
                }

                file.SetLength(0);
                await using var writer = new StreamWriter(file);
                await writer.WriteAsync(token.ToString(CultureInfo.InvariantCulture));
                return true;
            }
            catch (IOException) when (attempt < 1000)
            {
                await Task.Yield();
            }
        }
    }
}
