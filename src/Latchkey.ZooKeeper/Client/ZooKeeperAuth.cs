using System.Text;

namespace Latchkey.ZooKeeper.Client;

/// <summary>Credentials added to the session at every connect (ZooKeeper's <c>addAuthInfo</c>).</summary>
/// <param name="Scheme">The scheme, such as <c>digest</c>.</param>
/// <param name="Credentials">The scheme's credentials; for <c>digest</c>, the UTF-8 of <c>user:password</c>.</param>
internal sealed record ZooKeeperAuth(string Scheme, byte[] Credentials)
{
    /// <summary>Digest credentials <c>user:password</c>.</summary>
    public static ZooKeeperAuth Digest(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A digest user name cannot contain ':'; got '{user}'.", nameof(user));
        }

        return new ZooKeeperAuth("digest", Encoding.UTF8.GetBytes(user + ":" + password));
    }
}
