namespace Latchkey.Cli;

/// <summary>
/// The exit codes of <c>latchkey</c>. <c>run</c> and <c>elect</c> otherwise pass the command's own exit code
/// through. The numbers follow BSD's sysexits.h where one fits, and the shells' 126/127/130.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A check failed (the demo found an overlap or a token that did not increase).</summary>
    public const int CheckFailed = 1;

    /// <summary>EX_USAGE: bad arguments, no command after <c>--</c>, a malformed backend URI, a bad duration or name.</summary>
    public const int Usage = 64;

    /// <summary>EX_UNAVAILABLE: the backend cannot be reached.</summary>
    public const int Unavailable = 69;

    /// <summary>EX_SOFTWARE: an unexpected error inside latchkey.</summary>
    public const int Internal = 70;

    /// <summary>EX_TEMPFAIL: the lock is busy (<c>--no-wait</c>) or was not acquired within <c>--timeout</c>; try again later.</summary>
    public const int Busy = 75;

    /// <summary>The lock was lost while the command ran; the command (and its children) were killed.</summary>
    public const int Lost = 76;

    /// <summary>The command exists but could not be started (not executable).</summary>
    public const int CannotExecute = 126;

    /// <summary>The command was not found.</summary>
    public const int NotFound = 127;

    /// <summary>Interrupted by Ctrl-C or SIGTERM: the command was stopped and the lock released.</summary>
    public const int Interrupted = 130;
}
