using Latchkey.Backend;
using Latchkey.ZooKeeper;

[assembly: LockBackendScheme("zk", typeof(ZooKeeperLockBackendFactory))]
[assembly: LockBackendScheme("zks", typeof(ZooKeeperLockBackendFactory))]
