namespace Latchkey.ZooKeeper.Client;

/// <summary>Error codes of ZooKeeper replies (ZooKeeper's <c>KeeperException.Code</c> values).</summary>
internal enum ZooKeeperErrorCode
{
    /// <summary>No error.</summary>
    Ok = 0,

    /// <summary>A server-side system error.</summary>
    SystemError = -1,

    /// <summary>The server found its state inconsistent.</summary>
    RuntimeInconsistency = -2,

    /// <summary>The server found its data inconsistent.</summary>
    DataInconsistency = -3,

    /// <summary>The connection to the server was lost; the operation may or may not have been applied.</summary>
    ConnectionLoss = -4,

    /// <summary>A record could not be (de)serialized.</summary>
    MarshallingError = -5,

    /// <summary>The server does not implement the operation.</summary>
    Unimplemented = -6,

    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,

    /// <summary>Invalid arguments.</summary>
    BadArguments = -8,

    /// <summary>The session is unknown to the server.</summary>
    UnknownSession = -12,

    /// <summary>An API error.</summary>
    ApiError = -100,

    /// <summary>The node does not exist.</summary>
    NoNode = -101,

    /// <summary>The session's identities lack the permission.</summary>
    NoAuth = -102,

    /// <summary>The node's version did not match the expected one.</summary>
    BadVersion = -103,

    /// <summary>Ephemeral nodes cannot have children.</summary>
    NoChildrenForEphemerals = -108,

    /// <summary>The node already exists.</summary>
    NodeExists = -110,

    /// <summary>The node has children.</summary>
    NotEmpty = -111,

    /// <summary>The session expired.</summary>
    SessionExpired = -112,

    /// <summary>An invalid callback.</summary>
    InvalidCallback = -113,

    /// <summary>An invalid ACL.</summary>
    InvalidAcl = -114,

    /// <summary>The server refused the credentials.</summary>
    AuthFailed = -115,

    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,

    /// <summary>The server is read-only.</summary>
    NotReadOnly = -119,

    /// <summary>Ephemeral nodes need a global session.</summary>
    EphemeralOnLocalSession = -120,

    /// <summary>No such watcher.</summary>
    NoWatcher = -121,

    /// <summary>The request timed out on the server.</summary>
    RequestTimeout = -122,

    /// <summary>Reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,

    /// <summary>The session needs SASL authentication.</summary>
    SessionClosedRequireSaslAuth = -124,

    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,

    /// <summary>The server throttled the request.</summary>
    Throttled = -127,
}
