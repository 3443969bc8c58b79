import Asyncio

extension Tour {
    /// Monitoring the loop: a task that reports the loop's unfinished tasks every 5 seconds.
    static let monitoring = Example(name: "monitoring", title: "Monitoring the event loop") { out in
        let loop = try EventLoop.running()

        let monitor = try loop.createTask(name: "monitor") {
            while true {
                let tasks = loop.allTasks()
                out("Current task count: \(tasks.count)")
                for task in tasks.sorted(by: { $0.name < $1.name }) where !task.isDone {
                    out("  Incomplete task: \(task.name)")
                }
                try await sleep(for: .seconds(5))
            }
        }
        try await sleep(for: .seconds(20))  // your other work
        monitor.cancel()
    }
}
