using System.Runtime.InteropServices;
using Latchkey.Cli;
using Latchkey.Etcd;
using Latchkey.Redis;
using Latchkey.ZooKeeper;

// The exec shim that run and elect start their command through: it needs nothing else, so it goes first.
if (args is [ExecShim.CommandName, ..])
{
    return ExecShim.Run(args);
}

// The tool's backends, registered by hand (no assembly scan: a single-file or native build has no files to scan).
EtcdBackend.Register();
RedisBackend.Register();
ZooKeeperBackend.Register();

using var stop = new CancellationTokenSource();

// Ctrl-C and SIGTERM stop the command latchkey runs and release the lock, instead of killing latchkey
// with the lock still held until its TTL.
void Interrupt(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
return await LatchkeyApp.RunAsync(args, CliConsoles.System(), stop.Token);
