namespace Latchkey.Cli;

/// <summary>
/// Adds credentials that are kept out of <c>ps</c> and shell history to a connection string: a password from
/// <c>--password-file</c> or <c>LATCHKEY_PASSWORD</c>, a user from <c>LATCHKEY_USERNAME</c>.
/// </summary>
internal static class Credentials
{
    public const string UserNameVariable = "LATCHKEY_USERNAME";
    public const string PasswordVariable = "LATCHKEY_PASSWORD";

    /// <summary>Returns <paramref name="backend"/> with the credentials written in, and remembers the password for masking.</summary>
    /// <exception cref="FormatException">The string is malformed, or it has a password and a password file was given too.</exception>
    public static string Apply(string backend, string? passwordFile)
    {
        var parsed = LockConnectionString.Parse(backend);
        if (parsed.Scheme is "file" or "memory")
        {
            return backend;
        }

        var password = passwordFile is null ? Environment.GetEnvironmentVariable(PasswordVariable) : ReadPasswordFile(passwordFile);
        Secrets.Remember(parsed.Password);
        if (parsed.Password is not null || parsed.UserName is not null)
        {
            if (passwordFile is not null)
            {
                throw new FormatException($"--password-file was given, but the backend URI has credentials already ({parsed}); give one of them.");
            }

            return backend;
        }

        var userName = Environment.GetEnvironmentVariable(UserNameVariable);
        if (string.IsNullOrEmpty(password) && string.IsNullOrEmpty(userName))
        {
            return backend;
        }

        Secrets.Remember(password);
        var userInfo = Uri.EscapeDataString(userName ?? string.Empty) + (string.IsNullOrEmpty(password) ? string.Empty : ":" + Uri.EscapeDataString(password));
        var afterScheme = backend.IndexOf("://", StringComparison.Ordinal) + 3;
        return backend[..afterScheme] + userInfo + "@" + backend[afterScheme..];
    }

    private static string ReadPasswordFile(string path)
    {
        try
        {
            // The first line, as a shell's `read` or `--password-file` of other tools takes it.
            using var reader = new StreamReader(path);
            return reader.ReadLine() ?? string.Empty;
        }
        catch (IOException ex)
        {
            throw new FormatException($"--password-file '{path}' cannot be read: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new FormatException($"--password-file '{path}' cannot be read: {ex.Message}", ex);
        }
    }
}
