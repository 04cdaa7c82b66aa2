namespace Latchkey.Cli;

/// <summary>The environment variables <c>run</c> and <c>elect</c> hand the command.</summary>
internal static class EnvironmentNames
{
    /// <summary>The fencing token (the leader's term for <c>elect</c>).</summary>
    public const string FencingToken = "LATCHKEY_FENCING_TOKEN";

    /// <summary>The lock's or election's name.</summary>
    public const string LockName = "LATCHKEY_LOCK_NAME";

    /// <summary>The leader's announced value (<c>elect</c> only).</summary>
    public const string LeaderValue = "LATCHKEY_LEADER_VALUE";
}
