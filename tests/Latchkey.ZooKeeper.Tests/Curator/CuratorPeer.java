import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.retry.RetryNTimes;

/**
 * A Curator lock a test drives over stdin: args are the connect string (host:port[/chroot]), the lock path and
 * the recipe (mutex, read or write). Lines in: "acquire", "release", "exit". Lines out: "ready",
 * "acquired", "released", "error ...". The test kills the process to play a crashed holder.
 */
public final class CuratorPeer {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(args[0])
                .sessionTimeoutMs(4000)
                .connectionTimeoutMs(15000)
                .retryPolicy(new RetryNTimes(20, 250))
                .build()) {
            client.start();
            InterProcessLock lock;
            switch (args[2]) {
                case "read": lock = new InterProcessReadWriteLock(client, args[1]).readLock(); break;
                case "write": lock = new InterProcessReadWriteLock(client, args[1]).writeLock(); break;
                default: lock = new InterProcessMutex(client, args[1]); break;
            }
            System.out.println("ready");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("exit")) {
                try {
                    if (line.equals("acquire")) {
                        lock.acquire();
                        System.out.println("acquired");
                    } else if (line.equals("release")) {
                        lock.release();
                        System.out.println("released");
                    }
                } catch (Exception e) {
                    System.out.println("error " + e);
                }
                System.out.flush();
            }
        }
    }
}
