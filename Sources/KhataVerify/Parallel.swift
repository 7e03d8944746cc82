import Dispatch
import Foundation

/// Maps `input` through `transform` on up to `workers` threads, in contiguous
/// chunks, keeping the order of the input.
public func parallelMap<Input: Sendable, Output: Sendable>(
    _ input: [Input], workers: Int, _ transform: @Sendable (Input) -> Output
) -> [Output] {
    parallelChunks(input, workers: workers) { $0.map(transform) }
}

/// Maps `input` on up to `workers` threads, a contiguous chunk per thread,
/// `transform` returning one output per input of its chunk, in order. For work
/// that is cheaper done for a chunk at once (signature batches).
public func parallelChunks<Input: Sendable, Output: Sendable>(
    _ input: [Input], workers: Int, _ transform: @Sendable (ArraySlice<Input>) -> [Output]
) -> [Output] {
    let chunks = max(1, min(workers, input.count / 8))
    guard chunks > 1 else { return transform(input[...]) }
    let results = ResultSlots<[Output]>(count: chunks)
    let chunkSize = (input.count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = min(input.count, chunk * chunkSize)
        let slice = input[start..<min(input.count, start + chunkSize)]
        let output = transform(slice)
        precondition(output.count == slice.count, "parallelChunks: a chunk of \(slice.count) gave \(output.count) outputs")
        results.set(chunk, output)
    }
    return results.values().flatMap { $0 }
}

/// Result slots that parallel workers fill, each slot written by exactly one
/// worker. Raw memory rather than an array, so that concurrent writes to distinct
/// slots do not trip Swift's exclusivity checks on a shared property.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Value) { slots[index] = value }
    func values() -> [Value] { (0..<count).map { slots[$0]! } }
}

/// A first-in first-out queue of bounded capacity: `put` waits while it is full,
/// `take` waits while it is empty.
public final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "BlockingQueue.init: capacity \(capacity)")
        self.capacity = capacity
    }

    public func put(_ item: Element) {
        condition.lock()
        while items.count >= capacity { condition.wait() }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    public func take() -> Element {
        condition.lock()
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        condition.unlock()
        return item
    }
}
