using Latchkey.Backend;
using Latchkey.ZooKeeper;

[assembly: LockBackendScheme("zk", typeof(ZooKeeperLockBackendFactory))]
