import Asyncio

extension Tour {
    /// Priority queue: the smallest priority comes out first.
    static let priorityQueue = Example(name: "priority-queue", title: "Priority queue") { out in
        struct PriorityItem: Comparable {
            let priority: Int
            let data: String  // not compared, as `field(compare=False)`
            static func < (a: PriorityItem, b: PriorityItem) -> Bool { a.priority < b.priority }
            static func == (a: PriorityItem, b: PriorityItem) -> Bool { a.priority == b.priority }
        }
        let queue = PriorityQueue<PriorityItem>()
        try await queue.put(PriorityItem(priority: 3, data: "Low priority"))
        try await queue.put(PriorityItem(priority: 1, data: "High priority"))
        try await queue.put(PriorityItem(priority: 2, data: "Medium priority"))
        while !queue.isEmpty {
            let item = try await queue.get()
            out("Processing: \(item.data) (Priority: \(item.priority))")
        }
    }
}
