namespace Latchkey.Etcd.Client;

/// <summary>etcd no longer knows the lease a request named: it expired or was revoked.</summary>
internal sealed class EtcdLeaseNotFoundException : LockLostException
{
    public EtcdLeaseNotFoundException()
    {
    }

    public EtcdLeaseNotFoundException(string message)
        : base(message)
    {
    }

    public EtcdLeaseNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
