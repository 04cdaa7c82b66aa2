using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task Election_FirstCandidateLeadsAndOthersWait()
    {
        var name = UniqueName("elect");
        var otherElection = (await NewProviderAsync()).CreateElection(name);
        await using var leader = await Provider.CreateElection(name).CampaignAsync("alpha", Patience, TestCancellation);
        var second = otherElection.CampaignAsync("beta", Patience, TestCancellation).AsTask();
        AssertPending(second, "a second candidate while a leader leads");
        var current = await otherElection.GetLeaderAsync(TestCancellation);
        Assert.Equal(new LeaderInfo("alpha", leader.FencingToken), current);
        await leader.ResignAsync();
        await using var next = await Within(second, "the second candidate's election");
        Assert.True(next.FencingToken > leader.FencingToken, $"term {next.FencingToken} after {leader.FencingToken}");
        Assert.Equal("beta", (await Provider.CreateElection(name).GetLeaderAsync(TestCancellation))?.Value);
    }

    [Fact]
    public async Task Election_WithoutCandidates_HasNoLeader()
    {
        Assert.Null(await Provider.CreateElection(UniqueName("elect")).GetLeaderAsync(TestCancellation));
    }

    [Fact]
    public async Task Election_Proclaim_ChangesValueSeenByOthers()
    {
        var name = UniqueName("elect");
        await using var leader = await Provider.CreateElection(name).CampaignAsync("v1", Patience, TestCancellation);
        await leader.ProclaimAsync("v2", TestCancellation);
        Assert.Equal("v2", leader.Value);
        var seen = await (await NewProviderAsync()).CreateElection(name).GetLeaderAsync(TestCancellation);
        Assert.Equal("v2", seen?.Value);
    }

    [Fact]
    public async Task Election_Observe_YieldsEachNewLeader()
    {
        var name = UniqueName("elect");
        var observer = (await NewProviderAsync()).CreateElection(name);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation);
        var seen = new List<string?>();
        var sawB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observing = Task.Run(async () =>
        {
            try
            {
                await foreach (var leader in observer.ObserveAsync(stop.Token))
                {
                    lock (seen)
                    {
                        seen.Add(leader?.Value);
                    }

                    if (leader?.Value == "a")
                    {
                        sawA.TrySetResult();
                    }

                    if (leader?.Value == "b")
                    {
                        sawB.TrySetResult();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        });

        var a = await Provider.CreateElection(name).CampaignAsync("a", Patience, TestCancellation);
        await Within(sawA.Task, "the observer seeing leader a");
        var bTask = (await NewProviderAsync()).CreateElection(name).CampaignAsync("b", Patience, TestCancellation).AsTask();
        await a.ResignAsync();
        await using var b = await Within(bTask, "b elected");
        await Within(sawB.Task, "the observer seeing leader b");
        await stop.CancelAsync();
        await Within(observing, "the observer stopping");
        lock (seen)
        {
            Assert.True(seen.IndexOf("a") < seen.IndexOf("b"), string.Join(",", seen));
        }
    }
}
