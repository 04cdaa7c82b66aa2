namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// A TLS handshake with a server failed. An I/O failure, so a connect attempt fails and the next host is tried;
/// <see cref="CertificateRefused"/> says the server's certificate was refused, which trying again will not change.
/// </summary>
internal sealed class ZooKeeperTlsException : IOException
{
    public ZooKeeperTlsException()
    {
    }

    public ZooKeeperTlsException(string message)
        : base(message)
    {
    }

    public ZooKeeperTlsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ZooKeeperTlsException(string message, bool certificateRefused, Exception innerException)
        : base(message, innerException)
    {
        CertificateRefused = certificateRefused;
    }

    /// <summary>The server's certificate was refused (untrusted, or not issued for the name).</summary>
    public bool CertificateRefused { get; }
}
