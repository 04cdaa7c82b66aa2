namespace Latchkey.Cli.Tests;

/// <summary>The bench's bookkeeping of hand-offs and turns, on scripted timelines (timestamps are plain numbers).</summary>
public sealed class ReleaseBoardTests
{
    [Fact]
    public void AReleaseWithAWaiter_IsHandedOff_FromTheReleaseToTheWaitersAcquire()
    {
        using var board = ReleaseBoard.InProcess(1);
        var holderTurns = board.StartWaiting(0);
        board.Acquired(0, holderTurns, asked: 10, acquired: 11);
        var waiterTurns = board.StartWaiting(0);
        board.Write(0, contender: 1, timestamp: 100);

        var (_, _, turns, handoff) = board.Acquired(0, waiterTurns, asked: 20, acquired: 130);

        Assert.Equal(30, handoff);
        Assert.Equal(0, turns); // the holder was granted before this waiter asked
    }

    [Fact]
    public void AReleaserThatBargesBackIn_DoesNotEndTheHandOff_ItCountsUntilAWaiterGetsTheLock()
    {
        using var board = ReleaseBoard.InProcess(1);
        board.Acquired(0, board.StartWaiting(0), asked: 0, acquired: 1);        // A holds
        var waiter = board.StartWaiting(0);                                      // B waits from 5
        board.Write(0, contender: 1, timestamp: 100);                            // A releases, B waiting
        var (_, _, _, bargeHandoff) = board.Acquired(0, board.StartWaiting(0), asked: 101, acquired: 102); // A barges back
        Assert.Equal(-1, bargeHandoff);
        board.Write(0, contender: 1, timestamp: 200);                            // A releases again

        var (_, _, turns, handoff) = board.Acquired(0, waiter, asked: 5, acquired: 250);

        Assert.Equal(150, handoff); // from the first release that left B waiting
        Assert.Equal(1, turns);     // A's second grant went ahead of B
    }

    [Fact]
    public void AReleaseWithNobodyWaiting_IsNoHandOff()
    {
        using var board = ReleaseBoard.InProcess(1);
        board.Acquired(0, board.StartWaiting(0), asked: 0, acquired: 1);
        board.Write(0, contender: 1, timestamp: 100);

        var (_, _, turns, handoff) = board.Acquired(0, board.StartWaiting(0), asked: 150, acquired: 151);

        Assert.Equal(-1, handoff);
        Assert.Equal(0, turns);
    }
}
