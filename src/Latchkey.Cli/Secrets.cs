using System.Text.RegularExpressions;

namespace Latchkey.Cli;

/// <summary>
/// Keeps passwords out of what the CLI prints. Every connection string it shows goes through <see cref="Display"/>;
/// every error message through <see cref="Mask"/>, which hides each password this process has seen, however a
/// backend's message happened to quote it (issue 19 item 5).
/// </summary>
public static partial class Secrets
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal);
    private const int MinimumMaskedLength = 4;

    /// <summary>
    /// A connection string fit to print: the core masks the password (<see cref="LockConnectionString.ToString"/>),
    /// and <see cref="Mask"/> catches a percent-encoded one too. A malformed string is masked as text.
    /// </summary>
    public static string Display(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        try
        {
            var parsed = LockConnectionString.Parse(connectionString);
            Remember(parsed.Password);
            return Mask(parsed.ToString());
        }
        catch (FormatException)
        {
            return Mask(connectionString);
        }
    }

    /// <summary>Replaces every password seen so far (as given and percent-encoded) with <c>***</c>.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (Gate)
        {
            foreach (var secret in Known)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>Remembers a password so that <see cref="Mask"/> hides it from then on.</summary>
    public static void Remember(string? password)
    {
        // Masking a one- or two-letter password in free text would garble every message; the structured
        // user:password@ part of a connection string is still masked by Display.
        if (password is null || password.Length < MinimumMaskedLength)
        {
            return;
        }

        lock (Gate)
        {
            Known.Add(password);
            Known.Add(Uri.EscapeDataString(password));
        }
    }

    /// <summary>
    /// An error message fit to print: passwords masked, and StackExchange.Redis's advice to set
    /// <c>abortConnect=false</c> removed (it is not a Latchkey setting; the CLI fails fast on purpose).
    /// </summary>
    public static string CleanError(string message) => Mask(RedisAbortConnectAdvice().Replace(message, string.Empty)).TrimEnd();

    [GeneratedRegex(@"\s*To allow this multiplexer to continue retrying[^;]*;\s*in your code\.|\s*[^.]*abortConnect[^.]*\.", RegexOptions.IgnoreCase)]
    private static partial Regex RedisAbortConnectAdvice();
}
