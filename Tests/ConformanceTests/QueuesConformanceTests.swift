import Asyncio
import AsyncioTesting
import Testing

/// test_queues.py: Queue, LifoQueue, PriorityQueue, join/task_done, 3.13 shutdown.
@Suite("Conformance: queues")
struct QueuesConformanceTests {
    @Test func eachKindOfQueueHandsItemsOutInItsOwnOrder() async throws {
        let events = try await trace { _, events in
            for (name, queue) in [("Queue", Queue<Int>()), ("LifoQueue", LifoQueue<Int>()), ("PriorityQueue", PriorityQueue<Int>())] {
                for item in [1, 3, 2] { try queue.putNowait(item) }
                events("\(name): [\(try (0..<3).map { _ in "\(try queue.getNowait())" }.joined(separator: ", "))]")
            }
        }
        #expect(events == cpythonTrace("queues_fifo_lifo_and_priority_orders"), "trace queues_fifo_lifo_and_priority_orders differs from CPython's")
    }

    /// Issue 18.9: a priority apart from the item, and equal priorities in insertion order.
    @Test func aPriorityQueueKeepsInsertionOrderForEqualPriorities() async throws {
        let events = try await trace { _, events in
            let queue = PriorityQueue<Prioritized<Int, String>>()
            for (priority, item) in [(2, "a"), (1, "b"), (2, "c"), (1, "d")] { try queue.putNowait(item, priority: priority) }
            events(pyList(try (0..<4).map { _ in try queue.getNowait().item }))
        }
        #expect(events == cpythonTrace("queues_priority_queue_is_stable_for_equal_priorities"), "trace queues_priority_queue_is_stable_for_equal_priorities differs from CPython's")
    }

    /// Issue 18.9: items whose `<` looks at the priority only (and whose `==` looks at everything)
    /// also come out in insertion order for equal priorities.
    @Test func aPriorityQueueIsStableForItemsComparedByPriorityAlone() async throws {
        struct Job: Comparable {
            var priority: Int
            var name: String
            static func < (a: Job, b: Job) -> Bool { a.priority < b.priority }
        }
        let events = try await trace { _, events in
            let queue = PriorityQueue<Job>()
            for (priority, name) in [(2, "a"), (1, "b"), (2, "c"), (1, "d")] { try queue.putNowait(Job(priority: priority, name: name)) }
            events(pyList(try (0..<4).map { _ in try queue.getNowait().name }))
        }
        #expect(events == cpythonTrace("queues_priority_queue_is_stable_for_equal_priorities"), "trace queues_priority_queue_is_stable_for_equal_priorities differs from CPython's")
    }

    @Test func nowaitCallsThrowQueueEmptyAndQueueFull() async throws {
        let events = try await trace { _, events in
            func attempt(_ label: String, _ action: () throws -> String) {
                do { events("\(label): \(try action())") } catch { events("\(label): raises \(errorName(error))") }
            }
            let queue = Queue<String>(maxsize: 2)
            events("empty=\(py(queue.isEmpty)) full=\(py(queue.isFull)) qsize=\(queue.count)")
            attempt("get_nowait empty") { try queue.getNowait() }
            try queue.putNowait("x")
            try queue.putNowait("y")
            events("empty=\(py(queue.isEmpty)) full=\(py(queue.isFull)) qsize=\(queue.count)")
            attempt("put_nowait full") { try queue.putNowait("z"); return "ok" }
            attempt("get_nowait") { try queue.getNowait() }
        }
        #expect(events == cpythonTrace("queues_nowait_errors_and_sizes"), "trace queues_nowait_errors_and_sizes differs from CPython's")
    }

    @Test func blockedGettersAndPuttersAreServedInFIFOOrder() async throws {
        let events = try await trace { loop, events in
            let queue = Queue<String>()
            let getters = try (0..<3).map { i in
                try loop.createTask { events("getter \(i) got \(try await queue.get())") }
            }
            try await sleep(for: .zero)
            for item in ["a", "b", "c"] { try queue.putNowait(item) }
            _ = try await gather(getters)

            let bounded = Queue<String>(maxsize: 1)
            try bounded.putNowait("first")
            let putters = try (0..<3).map { i in
                try loop.createTask {
                    try await bounded.put("item \(i)")
                    events("putter \(i) put")
                }
            }
            try await sleep(for: .zero)
            for _ in 0..<4 {
                events("got \(try await bounded.get())")
                try await sleep(for: .zero)
            }
            _ = try await gather(putters)
        }
        #expect(events == cpythonTrace("queues_getters_and_putters_are_woken_in_fifo_order"), "trace queues_getters_and_putters_are_woken_in_fifo_order differs from CPython's")
    }

    @Test func aGetterCancelledAfterAnItemArrivedLeavesItToTheNext() async throws {
        let events = try await trace { loop, events in
            let queue = Queue<String>()
            @Sendable func getter(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do { events("\(label) got \(try await queue.get())") } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try getter("first"), second = try getter("second")
            try await sleep(for: .zero)
            try queue.putNowait("item")
            first.cancel()
            try await second.value
            events("first cancelled: \(py(first.isCancelled)); qsize: \(queue.count)")
        }
        #expect(events == cpythonTrace("queues_cancelled_getter_loses_no_item"), "trace queues_cancelled_getter_loses_no_item differs from CPython's")
    }

    @Test func joinWaitsUntilEveryItemIsMarkedDone() async throws {
        let events = try await trace { loop, events in
            let queue = Queue<Int>()
            try await queue.join()
            events("join() on an empty queue returned at once")
            for item in 0..<3 { try queue.putNowait(item) }
            let consumer = try loop.createTask {
                while true {
                    let item = try await queue.get()
                    try await sleep(for: .seconds(0.01))
                    events("processed \(item)")
                    try queue.taskDone()
                }
            }
            try await queue.join()
            events("join() returned")
            consumer.cancel()
            do { try queue.taskDone() } catch is TaskDoneCalledTooManyTimesError {
                events("task_done() too many times: ValueError")
            }
        }
        #expect(events == cpythonTrace("queues_join_waits_for_every_task_done"), "trace queues_join_waits_for_every_task_done differs from CPython's")
    }

    @Test func shutdownWakesGettersAndPuttersAndImmediateUnblocksJoin() async throws {
        let events = try await trace { loop, events in
            let queue = Queue<String>()
            let waiting = try loop.createTask {
                do { events("waiting getter got \(try await queue.get())") } catch is QueueShutDown {
                    events("waiting getter: QueueShutDown")
                }
            }
            try await sleep(for: .zero)
            queue.shutdown()
            try await waiting.value
            do { try queue.putNowait("x") } catch is QueueShutDown { events("put_nowait after shutdown: QueueShutDown") }

            let second = Queue<String>()
            try second.putNowait("left")
            second.shutdown()
            events("get after shutdown, not empty: \(try second.getNowait())")

            let third = Queue<String>(maxsize: 1)
            try third.putNowait("a")
            let blocked = try loop.createTask {
                do { try await third.put("b") } catch is QueueShutDown { events("waiting putter: QueueShutDown") }
            }
            let joiner = try loop.createTask { try await third.join() }
            try await sleep(for: .zero)
            third.shutdown(immediate: true)
            try await blocked.value
            try await joiner.value
            events("join() returned after shutdown(immediate=True); qsize: \(third.count)")
        }
        #expect(events == cpythonTrace("queues_shutdown_wakes_getters_and_putters"), "trace queues_shutdown_wakes_getters_and_putters differs from CPython's")
    }

    @Test func aPutterCancelledWhileTheQueueIsFullPutsNothing() async throws {
        let events = try await trace { loop, events in
            let queue = Queue<String>(maxsize: 1)
            try queue.putNowait("first")
            @Sendable func putter(_ item: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do {
                        try await queue.put(item)
                        events("put \(item)")
                    } catch {
                        events("putter of \(item): \(errorName(error))")
                        throw error
                    }
                }
            }
            let cancelled = try putter("cancelled"), kept = try putter("kept")
            try await sleep(for: .zero)
            cancelled.cancel()
            try await sleep(for: .zero)
            events("got \(try queue.getNowait())")
            try await kept.value
            events("got \(try queue.getNowait()); qsize: \(queue.count)")
        }
        #expect(events == cpythonTrace("queues_cancelled_putter_puts_nothing"), "trace queues_cancelled_putter_puts_nothing differs from CPython's")
    }
}
