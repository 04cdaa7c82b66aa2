using Latchkey.Conformance;

namespace Latchkey.Fault.Tests;

/// <summary>The proxy itself must forward, blackhole and heal, or every partition test proves nothing.</summary>
public sealed class LoopbackProxyTests
{
    [Fact]
    public async Task Proxy_ForwardsBlackholesAndHeals()
    {
        using var echoListener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        echoListener.Start();
        var echo = Task.Run(async () =>
        {
            using var server = await echoListener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = server.GetStream();
            var buffer = new byte[64];
            int read;
            while ((read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);
        await using var proxy = new LoopbackProxy((System.Net.IPEndPoint)echoListener.LocalEndpoint);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(LoopbackProxy.ParseHostPort(proxy.Address), TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        var reply = new byte[1];

        await stream.WriteAsync(new byte[] { 1 }, TestContext.Current.CancellationToken);
        Assert.Equal(1, await stream.ReadAsync(reply, TestContext.Current.CancellationToken));

        proxy.Blackhole();
        await stream.WriteAsync(new byte[] { 2 }, TestContext.Current.CancellationToken);
        var blocked = stream.ReadAsync(reply, TestContext.Current.CancellationToken).AsTask();
        Assert.False(blocked.IsCompleted);
        proxy.Heal();
        Assert.Equal(1, await blocked.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(2, reply[0]);
        client.Close();
        await echo.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
