// Apache Curator's InterProcessMutex under the Latchkey bench workload: N contenders (each with its own
// CuratorFramework client and ZooKeeper session, like one Latchkey provider each), contender i on lock
// i mod K, acquire, hold, release, think, for a duration after a warm-up. Prints one JSON object with the
// same figures as `latchkey bench`. A hand-off is counted as there: the lock went from another contender to
// this one, which was already waiting when it was released.
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;

public final class CuratorMutexBench {
    private static final class Result {
        long cycles;
        final List<Long> acquire = new ArrayList<>();
        final List<Long> handoffs = new ArrayList<>();
    }

    private static int[] owner;
    private static long[] release;

    public static void main(String[] args) throws Exception {
        String connect = "127.0.0.1:2181";
        int contenders = 8, locks = 1;
        double holdMs = 1, thinkMs = 2, durationS = 5, warmupS = 0.5;
        boolean shared = false;
        for (int i = 0; i < args.length; i += 2) {
            if (args[i].equals("-shared")) {
                // One client (one ZooKeeper session) for every contender, like `latchkey bench --shared-provider`.
                shared = true;
                i--;
                continue;
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "-connect" -> connect = v;
                case "-contenders" -> contenders = Integer.parseInt(v);
                case "-locks" -> locks = Integer.parseInt(v);
                case "-hold" -> holdMs = Double.parseDouble(v);
                case "-think" -> thinkMs = Double.parseDouble(v);
                case "-duration" -> durationS = Double.parseDouble(v);
                case "-warmup" -> warmupS = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown flag " + args[i] + "; know -shared -connect -contenders -locks -hold MS -think MS -duration S -warmup S");
            }
        }

        String prefix = "/latchkey-peer/curator/" + System.nanoTime();
        owner = new int[locks];
        release = new long[locks];
        Arrays.fill(owner, -1);
        CuratorFramework[] clients = new CuratorFramework[contenders];
        for (int i = 0; i < contenders; i++) {
            if (shared && i > 0) {
                clients[i] = clients[0];
                continue;
            }
            clients[i] = CuratorFrameworkFactory.newClient(connect, 30_000, 5_000, new RetryOneTime(100));
            clients[i].start();
            if (!clients[i].blockUntilConnected(10, TimeUnit.SECONDS)) {
                System.err.println("ZooKeeper at " + connect + " not reachable");
                System.exit(2);
            }
        }

        long start = System.nanoTime() + 100_000_000L;
        long measureStart = start + (long) (warmupS * 1e9);
        long end = measureStart + (long) (durationS * 1e9);
        long holdNs = (long) (holdMs * 1e6), thinkNs = (long) (thinkMs * 1e6);
        Result[] results = new Result[contenders];
        Thread[] threads = new Thread[contenders];
        final int lockCount = locks;
        for (int i = 0; i < contenders; i++) {
            final int id = i;
            results[i] = new Result();
            InterProcessMutex mutex = new InterProcessMutex(clients[i], prefix + "/" + (id % lockCount));
            threads[i] = new Thread(() -> {
                Result r = results[id];
                int lockIndex = id % lockCount;
                try {
                    sleepNanos(start - System.nanoTime());
                    while (true) {
                        long asked = System.nanoTime();
                        if (asked >= end) {
                            return;
                        }
                        mutex.acquire();
                        long acquired = System.nanoTime();
                        int lastOwner;
                        long lastRelease;
                        synchronized (CuratorMutexBench.class) {
                            lastOwner = owner[lockIndex];
                            lastRelease = release[lockIndex];
                        }
                        if (asked >= measureStart && acquired < end) {
                            r.cycles++;
                            r.acquire.add(acquired - asked);
                            if (lastOwner >= 0 && lastOwner != id && lastRelease >= asked) {
                                r.handoffs.add(acquired - lastRelease);
                            }
                        }
                        sleepNanos(holdNs);
                        synchronized (CuratorMutexBench.class) {
                            owner[lockIndex] = id;
                            release[lockIndex] = System.nanoTime();
                        }
                        mutex.release();
                        sleepNanos(thinkNs);
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (int i = 0; i < contenders; i++) {
            if (!shared || i == 0) {
                clients[i].close();
            }
        }

        long total = 0;
        double sumSquares = 0;
        List<Long> acquire = new ArrayList<>(), handoffs = new ArrayList<>();
        StringBuilder per = new StringBuilder();
        for (int i = 0; i < contenders; i++) {
            total += results[i].cycles;
            sumSquares += (double) results[i].cycles * results[i].cycles;
            acquire.addAll(results[i].acquire);
            handoffs.addAll(results[i].handoffs);
            per.append(i == 0 ? "" : ", ").append(results[i].cycles);
        }
        acquire.sort(null);
        handoffs.sort(null);
        double jain = sumSquares > 0 ? (double) total * total / (contenders * sumSquares) : 0;
        long longest = acquire.isEmpty() ? 0 : acquire.get(acquire.size() - 1);
        System.out.println(String.format(Locale.ROOT,
            "{\n  \"backend\": \"Apache Curator InterProcessMutex (Debian libcurator-recipes-java %s)\",\n"
            + "  \"sharedClient\": %s,\n  \"contenders\": %d,\n  \"locks\": %d,\n  \"durationSeconds\": %s,\n  \"holdMilliseconds\": %s,\n  \"thinkMilliseconds\": %s,\n"
            + "  \"cycles\": %d,\n  \"cyclesPerSecond\": %.1f,\n  \"acquireP50Microseconds\": %s,\n  \"acquireP99Microseconds\": %s,\n"
            + "  \"longestWaitMilliseconds\": %.3f,\n  \"handoffs\": %d,\n  \"handoffP50Microseconds\": %s,\n  \"handoffP99Microseconds\": %s,\n"
            + "  \"jainFairness\": %.4f,\n  \"cyclesPerContender\": [%s]\n}",
            System.getProperty("curator.jar", "?"), shared, contenders, lockCount, durationS, holdMs, thinkMs,
            total, total / durationS, percentileMicros(acquire, 50), percentileMicros(acquire, 99), longest / 1e6,
            handoffs.size(), percentileMicros(handoffs, 50), percentileMicros(handoffs, 99), jain, per));
    }

    // A JSON number, or null when there are no values (JSON has no NaN).
    private static String percentileMicros(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return "null";
        }
        int index = Math.max(0, (int) Math.ceil(p / 100 * sorted.size()) - 1);
        return String.format(Locale.ROOT, "%.1f", sorted.get(index) / 1000.0);
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        }
    }
}
