// asyncio-bench: the shared workloads of ../shared/benchmarks/WORKLOADS.md, one JSON line each.
//   asyncio-bench WORKLOAD [--impl loop|default|nio] [--n N]
//   asyncio-bench all [--impl ...]
//   asyncio-bench echo-server --port P [--mode streams|protocol]
//   asyncio-bench group-echo --port P --loops N --mode reuseport|acceptor   (issue 19: a group's two ways to accept)
//   asyncio-bench http-server --port P [--api http] [--loops N]
//   asyncio-bench redis --port P [--connections C] [--pipeline K] [--n N] [--mode batch|tasks]
//   asyncio-bench flood [--n PER_THREAD] [--threads T] [--capacity C]
//   asyncio-bench conn-memory [--impl loop|nio|uvloop] [--api protocol|streams] [--n 5000] [--size 60000]
//   asyncio-bench nio-echo-server --port P
//   asyncio-bench pipelined [--api protocol|streams] [--connections 50] [--depth 16] [--n 1000000]
//   asyncio-bench http-style-server --api protocol|streams --port P   (the pipelined workload's server)
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
let impl = option("--impl") ?? "loop"
let customN = option("--n").flatMap(Int.init)
let floodThreads = option("--threads").flatMap(Int.init) ?? 16
let floodCapacity = option("--capacity").flatMap(Int.init)

let workloads: [(String, (String, Int?) throws -> Void)] = [
    ("call_soon", { try callSoon(impl: $0, n: $1 ?? 1_000_000) }),
    ("call_soon_chain", { try callSoonChain(impl: $0, n: $1 ?? 1_000_000) }),
    ("call_soon_threadsafe", { try callSoonThreadsafe(impl: $0, n: $1 ?? 1_000_000) }),
    ("timers", { try timers(impl: $0, n: $1 ?? 200_000) }),
    ("tasks", { try tasks(impl: $0, n: $1 ?? 100_000) }),
    ("yield", { try yieldWorkload(impl: $0, n: $1 ?? 1_000_000) }),
    ("queue_pingpong", { try queuePingpong(impl: $0, n: $1 ?? 200_000) }),
    ("lock", { try lockWorkload(impl: $0, tasks: $1 ?? 1_000, k: 100) }),
    ("executor", { try executorWorkload(impl: $0, n: $1 ?? 20_000) }),
    ("memory", { try memoryWorkload(impl: $0, n: $1 ?? 100_000) }),
    ("cpu_pool", { try cpuPool(impl: $0, n: $1 ?? 200_000_000) }),  // ours: issue 5's 2-worker speed-up
    ("flood", { try flood(impl: $0, n: $1 ?? 100_000, threads: floodThreads, capacity: floodCapacity) }),  // ours: issue 19's fairness under load
]

switch args.first {
case "echo-server":
    guard let port = option("--port").flatMap(Int.init) else { print("echo-server needs --port P"); exit(2) }
    try runEchoServer(port: port, mode: option("--mode") ?? "streams")
case "group-echo":
    guard let port = option("--port").flatMap(Int.init) else { print("group-echo needs --port P"); exit(2) }
    try runGroupEcho(port: port, loops: option("--loops").flatMap(Int.init) ?? 2, mode: option("--mode") ?? "reuseport")
case "http-server":
    guard let port = option("--port").flatMap(Int.init) else { print("http-server needs --port P"); exit(2) }
    try runHTTPServer(port: port, api: option("--api") ?? "http", loops: option("--loops").flatMap(Int.init) ?? 1)
case "nio-echo-server":
    guard let port = option("--port").flatMap(Int.init) else { print("nio-echo-server needs --port P"); exit(2) }
    try runNIOEchoServer(port: port)
case "http-style-server":
    guard let port = option("--port").flatMap(Int.init) else { print("http-style-server needs --port P"); exit(2) }
    try runHTTPStyleServer(port: port, api: option("--api") ?? "protocol")
case "pipelined":
    try pipelined(api: option("--api") ?? "protocol", connections: option("--connections").flatMap(Int.init) ?? 50,
                  depth: option("--depth").flatMap(Int.init) ?? 16, n: customN ?? 1_000_000,
                  serverPort: option("--port").flatMap(Int.init))
case "conn-memory":
    try connMemory(impl: option("--impl") ?? "loop", api: option("--api") ?? "protocol", n: customN ?? 5_000,
                   size: option("--size").flatMap(Int.init) ?? 60_000)
case "redis":
    guard let port = option("--port").flatMap(Int.init) else { print("redis needs --port P (a running redis-server)"); exit(2) }
    try redisWorkload(
        port: port, connections: option("--connections").flatMap(Int.init) ?? 50,
        pipeline: option("--pipeline").flatMap(Int.init) ?? 16, n: customN ?? 1_000_000, mode: option("--mode") ?? "batch")
case "all":
    for (_, run) in workloads { try run(impl, customN) }
case let name? where workloads.contains(where: { $0.0 == name }):
    try workloads.first { $0.0 == name }!.1(impl, customN)
default:
    print("usage: asyncio-bench WORKLOAD|all [--impl loop|default|nio] [--n N] | echo-server --port P [--mode streams|protocol]"
        + " | http-server --port P [--api http] [--loops N]"
        + " | redis --port P [--connections C] [--pipeline K] [--n N] [--mode batch|tasks]")
    print("       asyncio-bench flood [--n PER_THREAD] [--threads T] [--capacity C]")
    print("       asyncio-bench pipelined [--api protocol|streams] [--connections C] [--depth D] [--n N]")
    print("       asyncio-bench conn-memory [--impl loop|nio|uvloop] [--api protocol|streams] [--n N] [--size BYTES]")
    print("workloads: " + workloads.map(\.0).joined(separator: " "))
    exit(2)
}
