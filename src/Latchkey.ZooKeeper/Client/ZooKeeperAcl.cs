namespace Latchkey.ZooKeeper.Client;

/// <summary>One entry of a node's access control list.</summary>
/// <param name="Permissions">Bit set: read 1, write 2, create 4, delete 8, admin 16; all 31.</param>
/// <param name="Scheme">The scheme: <c>world</c>, <c>auth</c>, <c>digest</c>, <c>ip</c>…</param>
/// <param name="Id">The identity in that scheme.</param>
internal sealed record ZooKeeperAcl(int Permissions, string Scheme, string Id)
{
    /// <summary>Every permission.</summary>
    public const int All = 31;

    /// <summary>Anyone may do anything (ZooKeeper's <c>OPEN_ACL_UNSAFE</c>).</summary>
    public static IReadOnlyList<ZooKeeperAcl> OpenUnsafe { get; } = [new(All, "world", "anyone")];

    /// <summary>Only the identities the session authenticated with may do anything (<c>CREATOR_ALL_ACL</c>).</summary>
    public static IReadOnlyList<ZooKeeperAcl> CreatorAll { get; } = [new(All, "auth", string.Empty)];
}
