// Command etcd-go-mutex runs etcd's own Go concurrency.Mutex under the Latchkey bench workload:
// N contenders (each with its own client and session, like one Latchkey provider each), contender i
// on lock i mod K, acquire, hold, release, think, for a duration after a warm-up. It prints one JSON
// object with the same figures as `latchkey bench`: cycles/s, acquire and hand-off p50/p99, fairness.
//
// A hand-off is counted as in the Latchkey bench: the lock went from another contender to this one,
// which was already waiting when it was released (a releaser barging back in is not a hand-off).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
)

type board struct {
	mu      sync.Mutex
	owner   []int
	release []time.Time
}

type contenderResult struct {
	cycles   int64
	acquire  []time.Duration
	handoffs []time.Duration
}

// percentile returns the p-th percentile in microseconds, or nil (JSON null) when there are no values.
func percentile(values []time.Duration, p float64) interface{} {
	if len(values) == 0 {
		return nil
	}
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	index := int(math.Ceil(p/100*float64(len(values)))) - 1
	if index < 0 {
		index = 0
	}
	return float64(values[index].Nanoseconds()) / 1000
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "etcd endpoints, comma-separated")
	contenders := flag.Int("contenders", 8, "contenders")
	locks := flag.Int("locks", 1, "locks (contender i uses lock i mod K)")
	hold := flag.Duration("hold", time.Millisecond, "hold time")
	think := flag.Duration("think", 2*time.Millisecond, "think time")
	duration := flag.Duration("duration", 5*time.Second, "measured duration")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "warm-up before measuring")
	ttl := flag.Int("ttl", 30, "session TTL in seconds")
	shared := flag.Bool("shared", false, "all contenders share one client and one session (needs one lock per contender: Mutexes of one session on one name share a key)")
	flag.Parse()
	if *shared && *locks != *contenders {
		fmt.Fprintln(os.Stderr, "-shared needs -locks equal to -contenders")
		os.Exit(2)
	}

	prefix := fmt.Sprintf("latchkey-peer/go-mutex/%d", time.Now().UnixNano())
	b := &board{owner: make([]int, *locks), release: make([]time.Time, *locks)}
	for i := range b.owner {
		b.owner[i] = -1
	}

	clients := make([]*clientv3.Client, *contenders)
	sessions := make([]*concurrency.Session, *contenders)
	for i := 0; i < *contenders; i++ {
		if *shared && i > 0 {
			clients[i], sessions[i] = clients[0], sessions[0]
			continue
		}
		c, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*endpoints, ","), DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, "connect:", err)
			os.Exit(2)
		}
		s, err := concurrency.NewSession(c, concurrency.WithTTL(*ttl))
		if err != nil {
			fmt.Fprintln(os.Stderr, "session:", err)
			os.Exit(2)
		}
		clients[i], sessions[i] = c, s
	}

	start := time.Now().Add(100 * time.Millisecond)
	measureStart := start.Add(*warmup)
	end := measureStart.Add(*duration)
	results := make([]contenderResult, *contenders)
	var wg sync.WaitGroup
	for i := 0; i < *contenders; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			lockIndex := id % *locks
			m := concurrency.NewMutex(sessions[id], fmt.Sprintf("%s/%d", prefix, lockIndex))
			r := &results[id]
			time.Sleep(time.Until(start))
			for {
				asked := time.Now()
				if !asked.Before(end) {
					return
				}
				ctx, cancel := context.WithDeadline(context.Background(), end.Add(5*time.Second))
				err := m.Lock(ctx)
				cancel()
				if err != nil {
					fmt.Fprintln(os.Stderr, "lock:", err)
					return
				}
				acquired := time.Now()
				b.mu.Lock()
				lastOwner, lastRelease := b.owner[lockIndex], b.release[lockIndex]
				b.mu.Unlock()
				if !asked.Before(measureStart) && acquired.Before(end) {
					r.cycles++
					r.acquire = append(r.acquire, acquired.Sub(asked))
					if lastOwner >= 0 && lastOwner != id && !lastRelease.Before(asked) {
						r.handoffs = append(r.handoffs, acquired.Sub(lastRelease))
					}
				}
				if *hold > 0 {
					time.Sleep(*hold)
				}
				b.mu.Lock()
				b.owner[lockIndex], b.release[lockIndex] = id, time.Now()
				b.mu.Unlock()
				if err := m.Unlock(context.Background()); err != nil {
					fmt.Fprintln(os.Stderr, "unlock:", err)
					return
				}
				if *think > 0 {
					time.Sleep(*think)
				}
			}
		}(i)
	}
	wg.Wait()

	var total int64
	var sumSquares float64
	var acquire, handoffs []time.Duration
	perContender := make([]int64, *contenders)
	for i, r := range results {
		total += r.cycles
		sumSquares += float64(r.cycles) * float64(r.cycles)
		perContender[i] = r.cycles
		acquire = append(acquire, r.acquire...)
		handoffs = append(handoffs, r.handoffs...)
	}
	jain := 0.0
	if sumSquares > 0 {
		jain = float64(total) * float64(total) / (float64(*contenders) * sumSquares)
	}
	var longest time.Duration
	for _, a := range acquire {
		if a > longest {
			longest = a
		}
	}
	out := map[string]interface{}{
		"backend":                 "etcd Go concurrency.Mutex (go.etcd.io/etcd/clientv3/concurrency, Debian golang-etcd-server-dev)",
		"contenders":              *contenders,
		"locks":                   *locks,
		"durationSeconds":         duration.Seconds(),
		"holdMilliseconds":        float64(hold.Microseconds()) / 1000,
		"thinkMilliseconds":       float64(think.Microseconds()) / 1000,
		"cycles":                  total,
		"cyclesPerSecond":         float64(total) / duration.Seconds(),
		"acquireP50Microseconds":  percentile(acquire, 50),
		"acquireP99Microseconds":  percentile(acquire, 99),
		"longestWaitMilliseconds": float64(longest.Microseconds()) / 1000,
		"handoffs":                len(handoffs),
		"handoffP50Microseconds":  percentile(handoffs, 50),
		"handoffP99Microseconds":  percentile(handoffs, 99),
		"jainFairness":            jain,
		"cyclesPerContender":      perContender,
	}
	for _, s := range sessions {
		s.Close()
	}
	for _, c := range clients {
		c.Close()
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
