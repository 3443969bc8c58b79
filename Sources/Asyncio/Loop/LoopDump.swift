import CLibUV

extension EventLoop {
    /// A description of everything the loop holds, for "why is my program stuck?": ready items,
    /// timers, libuv handles by type, and every pending task with what it waits on.
    public func dump() -> String {
        preconditionOnLoopThread("EventLoop.dump")
        var lines = ["\(self)"]
        lines.append("ready: \(ready.count) item(s); timers: \(timers.unordered.filter { !$0.handle.cancelled }.count) live")
        if let next = timers.unordered.filter({ !$0.handle.cancelled }).min() {
            lines.append("next timer due in \(Double(next.deadline - nowDeadline) / 1e9) s")
        }
        if !isClosed {
            var counts: [String: Int] = [:]
            withUnsafeMutablePointer(to: &counts) { pointer in
                uv_walk(uvLoop, { handle, arg in
                    guard let handle, let arg else { return }
                    let counts = arg.assumingMemoryBound(to: [String: Int].self)
                    let name = String(cString: uv_handle_type_name(handle.pointee.type))
                    let state = uv_is_active(handle) != 0 ? "active" : "inactive"
                    counts.pointee["\(name) (\(state))", default: 0] += 1
                }, pointer)
            }
            lines.append("libuv handles: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        let pending = allTasks().sorted { $0.name < $1.name }
        lines.append("tasks: \(pending.count) pending")
        for task in pending { lines.append("  \(task.name): waiting on \(task.waitingOn ?? "nothing (ready to run)")") }
        return lines.joined(separator: "\n")
    }
}
