namespace Latchkey.ZooKeeper.Client;

/// <summary>A request of the client's own (a ping, a setWatches) whose reply only confirms the session is alive.</summary>
internal sealed class InternalRequest : PendingRequest
{
    public override void Complete(int error, ref JuteReader reader)
    {
    }

    public override void Fail(Exception exception)
    {
    }
}
