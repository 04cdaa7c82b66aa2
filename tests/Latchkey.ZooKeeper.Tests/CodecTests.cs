using System.Net;
using System.Net.Sockets;
using System.Text;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The Jute codec against byte sequences written out by hand from zookeeper.jute.</summary>
public sealed class CodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Fact]
    public void ConnectRequest_IsTheJuteRecordThenTheReadOnlyFlag()
    {
        var writer = new JuteWriter();
        new ConnectRequest(0, 0x10, 10_000, 0x0123456789ABCDEF, new byte[16], ReadOnly: false).WriteFrame(writer);

        // length 45 | protocolVersion 0 | lastZxidSeen 0x10 | timeOut 10000 | sessionId | passwd: len 16 + 16 zeros | readOnly false
        var expected = Hex("0000002D 00000000 0000000000000010 00002710 0123456789ABCDEF 00000010 00000000000000000000000000000000 00");
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void ConnectResponse_ReadsWithAndWithoutTheReadOnlyFlag()
    {
        var body = Hex("00000000 00001F40 0000000000000042 00000002 ABCD");
        var old = ConnectResponse.Read(body);
        Assert.Equal(8000, old.TimeoutMs);
        Assert.Equal(0x42, old.SessionId);
        Assert.Equal(new byte[] { 0xAB, 0xCD }, old.Password);
        Assert.False(old.ReadOnly);

        var withFlag = ConnectResponse.Read([.. body, 1]);
        Assert.True(withFlag.ReadOnly);
    }

    [Fact]
    public void CreateRequest_HeaderPathDataAclFlags()
    {
        var w = new JuteWriter();
        var start = w.BeginFrame();
        ZooKeeperCodec.WriteHeader(w, 7, OpCode.Create2);
        ZooKeeperCodec.WriteCreate(w, "/a", "x"u8, ZooKeeperAcl.OpenUnsafe, CreateMode.EphemeralSequential);
        w.EndFrame(start);

        var expected = Hex(
            "00000032" +                          // frame length 50
            "00000007 0000000F" +                 // RequestHeader xid 7, type create2 (15)
            "00000002 2F61" +                     // ustring "/a"
            "00000001 78" +                       // buffer "x"
            "00000001" +                          // vector<ACL> of 1
            "0000001F 00000005 776F726C64 00000006 616E796F6E65" + // perms 31, Id("world","anyone")
            "00000003");                          // flags: ephemeral sequential
        Assert.Equal(expected, w.WrittenSpan.ToArray());
    }

    [Fact]
    public void GetDataRequest_AndDeleteRequest()
    {
        var w = new JuteWriter();
        ZooKeeperCodec.WritePathWatch(w, "/n", watch: true);
        ZooKeeperCodec.WritePathVersion(w, "/n", -1);
        Assert.Equal(Hex("00000002 2F6E 01" + "00000002 2F6E FFFFFFFF"), w.WrittenSpan.ToArray());
    }

    [Fact]
    public void SetWatches_RelativeZxidThenThreePathVectors()
    {
        var w = new JuteWriter();
        ZooKeeperCodec.WriteSetWatches(w, 0x99, ["/a"], [], ["/b", "/c"]);
        var expected = Hex("0000000000000099 00000001 00000002 2F61 00000000 00000002 00000002 2F62 00000002 2F63");
        Assert.Equal(expected, w.WrittenSpan.ToArray());
    }

    [Fact]
    public void AuthPacket_TypeSchemeCredentials()
    {
        var w = new JuteWriter();
        ZooKeeperCodec.WriteAuth(w, ZooKeeperAuth.Digest("u", "p"));
        Assert.Equal(Hex("00000000 00000006 646967657374 00000003 753A70"), w.WrittenSpan.ToArray());
    }

    [Fact]
    public void ReplyHeaderAndStat_Decode()
    {
        var stat = "0000000000000011 0000000000000012 0000000000000013 0000000000000014 00000001 00000002 00000003 0000000000000015 00000004 00000005 0000000000000016";
        var frame = Hex("00000009 0000000000000020 00000000" + "00000003 616263" + stat);
        var r = new JuteReader(frame);
        var header = ReplyHeader.Read(ref r);
        Assert.Equal(new ReplyHeader(9, 0x20, 0), header);
        Assert.Equal("abc"u8.ToArray(), r.ReadBuffer());
        Assert.Equal(new ZooKeeperStat(0x11, 0x12, 0x13, 0x14, 1, 2, 3, 0x15, 4, 5, 0x16), r.ReadStat());
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void WatcherEvent_Decodes()
    {
        var r = new JuteReader(Hex("00000002 00000003 00000002 2F78"));
        Assert.Equal((WatchedEventType.NodeDeleted, 3, "/x"), ZooKeeperCodec.ReadWatcherEvent(ref r));
    }

    [Theory]
    [InlineData("0000000000000011")]                 // a stat cut short
    [InlineData("00000010 6162")]                    // a buffer longer than the frame
    [InlineData("FFFFFFF0")]                         // a negative length other than -1
    public void TruncatedOrMalformed_ThrowsProtocolException(string hex)
    {
        var bytes = Hex(hex);
        ZooKeeperAssert.Throws(ZooKeeperErrorCode.MarshallingError, () =>
        {
            var r = new JuteReader(bytes);
            if (bytes.Length == 8)
            {
                r.ReadStat();
            }
            else
            {
                r.ReadBuffer();
            }
        });
    }

    [Fact]
    public void StringVector_WithImpossibleCount_ThrowsWithoutAllocating()
    {
        ZooKeeperAssert.Throws(ZooKeeperErrorCode.MarshallingError, () =>
        {
            var r = new JuteReader(Hex("7FFFFFFF 00000001 61"));
            r.ReadStringVector();
        });
    }

    [Fact]
    public async Task Connect_ToAPortThatIsNotZooKeeper_FailsCleanlyWithinTheConnectTimeout()
    {
        // A server that answers the handshake with text, as an HTTP or Redis server would.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = ServeOnceAsync(listener, "HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), closeAfter: false);
        var options = new ZooKeeperClientOptions { Hosts = [("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port)], ConnectTimeout = TimeSpan.FromSeconds(2) };
        var started = DateTime.UtcNow;
        var ex = await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.ConnectionLoss, () => ZooKeeperClient.ConnectAsync(options, TestContext.Current.CancellationToken));
        Assert.Contains("Frame length", ex.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        listener.Stop();
        await serve;
    }

    [Fact]
    public async Task Connect_WhenTheServerSendsATruncatedFrame_FailsCleanly()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = ServeOnceAsync(listener, Hex("00000025 00000000 00002710"), closeAfter: true);
        var options = new ZooKeeperClientOptions { Hosts = [("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port)], ConnectTimeout = TimeSpan.FromSeconds(1) };
        var ex = await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.ConnectionLoss, () => ZooKeeperClient.ConnectAsync(options, TestContext.Current.CancellationToken));
        Assert.Contains("middle of a frame", ex.Message, StringComparison.Ordinal);
        listener.Stop();
        await serve;
    }

    [Fact]
    public async Task Connect_WhenNothingListens_FailsWithinTheConnectTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new ZooKeeperClientOptions { Hosts = [("127.0.0.1", port)], ConnectTimeout = TimeSpan.FromMilliseconds(500) };
        var started = DateTime.UtcNow;
        await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.ConnectionLoss, () => ZooKeeperClient.ConnectAsync(options, TestContext.Current.CancellationToken));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task MalformedFrame_AfterTheHandshake_FailsPendingRequestsAndThenTheSession_NeverHangs()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            listener.Stop(); // Reconnects find nothing: the session must end by the client's own clock.
            await ReadFrameAsync(socket);
            var response = new JuteWriter();
            var frame = response.BeginFrame();
            response.WriteInt(0);
            response.WriteInt(2000);
            response.WriteLong(0x77);
            response.WriteBuffer(new byte[16]);
            response.WriteBool(false);
            response.EndFrame(frame);
            await socket.SendAsync(response.WrittenMemory, TestContext.Current.CancellationToken);
            await ReadFrameAsync(socket);
            await socket.SendAsync(Hex("FFFFFFFF 00"), TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        var options = new ZooKeeperClientOptions { Hosts = [("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port)], ConnectTimeout = TimeSpan.FromSeconds(1), SessionTimeout = TimeSpan.FromSeconds(2) };
        await using var client = await ZooKeeperClient.ConnectAsync(options, TestContext.Current.CancellationToken);
        Assert.Equal(0x77, client.SessionId);
        var ex = await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.ConnectionLoss, () => client.ExistsAsync("/x", cancellationToken: TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(ZooKeeperErrorCode.MarshallingError, Assert.IsType<ZooKeeperException>(ex.InnerException).Code);
        await serve;

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = client.SessionEnded.Register(ended.SetResult);
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(ZooKeeperSessionState.Expired, client.State);
        Assert.False(client.SessionEndConfirmed);
        await ZooKeeperAssert.ThrowsAsync(ZooKeeperErrorCode.SessionExpired, () => client.ExistsAsync("/x", cancellationToken: TestContext.Current.CancellationToken));
    }

    private static async Task ReadFrameAsync(Socket socket)
    {
        var length = new byte[4];
        await ReceiveExactlyAsync(socket, length);
        await ReceiveExactlyAsync(socket, new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(length)]);
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), TestContext.Current.CancellationToken);
            Assert.True(n > 0, "The client closed the connection early.");
            read += n;
        }
    }

    private static async Task ServeOnceAsync(TcpListener listener, byte[] reply, bool closeAfter)
    {
        try
        {
            using var socket = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            var buffer = new byte[64];
            await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            await socket.SendAsync(reply, TestContext.Current.CancellationToken);
            if (!closeAfter)
            {
                // Keep the connection open until the client gives up, as a real non-ZooKeeper server would.
                while (await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken) > 0)
                {
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
