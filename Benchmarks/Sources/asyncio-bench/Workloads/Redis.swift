import Asyncio
import AsyncioRedis

/// redis: pipelined SET and GET throughput of AsyncioRedis against a running redis-server
/// (`asyncio-bench redis --port P [--connections C] [--pipeline K] [--n N] [--mode batch|tasks]`),
/// shaped like `redis-benchmark -c C -P K -n N -t set,get`: C connections, each keeping K commands in
/// flight, N commands per test in all. One JSON line per test, with the requests per second and the
/// p50/p99 time of a round of K commands.
///
/// - `batch`: each connection's task sends its K commands with one `pipeline` call and waits for
///   the K replies (what redis-benchmark's -P does).
/// - `tasks`: K tasks per connection each `send` one command at a time; the connection pipelines
///   them by itself (K futures, K task wake-ups per round).
func redisWorkload(port: Int, connections: Int, pipeline: Int, n: Int, mode: String) throws {
    guard mode == "batch" || mode == "tasks" else { throw BenchError("redis --mode \(mode): use batch or tasks") }
    try run { () async throws -> Void in
        let loop = try EventLoop.running()
        var clients: [RedisConnection] = []
        for _ in 0..<connections { clients.append(try await RedisConnection.connect(host: "127.0.0.1", port: port)) }
        let value = String(repeating: "x", count: 3)  // redis-benchmark's default -d 3
        for test in ["SET", "GET"] {
            let rounds = max(1, n / (connections * pipeline))
            let latencies = Latencies()
            let start = now()
            var tasks: [LoopTask<Void>] = []
            for (index, client) in clients.enumerated() {
                let key = "key:\(index)"
                let command = test == "SET" ? ["SET", key, value] : ["GET", key]
                if mode == "batch" {
                    let batch = Array(repeating: command, count: pipeline)
                    tasks.append(try loop.createTask {
                        for _ in 0..<rounds {
                            let sent = now()
                            let replies = try await client.pipeline(batch)
                            latencies.add(now() - sent)
                            precondition(replies.count == pipeline && replies[0] != .null)
                        }
                    })
                } else {
                    for _ in 0..<pipeline {
                        tasks.append(try loop.createTask {
                            for _ in 0..<rounds {
                                let sent = now()
                                let reply = try await client.send(command)
                                latencies.add(now() - sent)
                                precondition(reply != .null)
                            }
                        })
                    }
                }
            }
            _ = try await loop.gather(tasks)
            let seconds = now() - start
            let total = rounds * connections * pipeline
            Report(
                impl: "asyncio-redis-\(mode)", workload: "redis_\(test.lowercased())_P\(pipeline)", n: total, seconds: seconds,
                extra: [
                    ("requests_per_s", format(Double(total) / seconds, 0)), ("connections", "\(connections)"),
                    ("p50_us", format(latencies.percentile(0.50) * 1e6, 0)), ("p99_us", format(latencies.percentile(0.99) * 1e6, 0)),
                ]
            ).print()
        }
        for client in clients { client.close() }
    }
}

/// Round-trip times (loop thread only).
final class Latencies: @unchecked Sendable {
    private var samples: [Double] = []
    func add(_ seconds: Double) { samples.append(seconds) }
    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}
