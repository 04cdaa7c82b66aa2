using Latchkey.Backend;
using Latchkey.Etcd;

[assembly: LockBackendScheme("etcd", typeof(EtcdLockBackendFactory))]
[assembly: LockBackendScheme("etcds", typeof(EtcdLockBackendFactory))]
