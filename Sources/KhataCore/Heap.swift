/// A binary min-heap. Push and pop cost O(log n) comparisons.
struct Heap<Element: Comparable & Sendable>: Sendable {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }
    var minimum: Element? { elements.first }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let minimum = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < elements.count && elements[left] < elements[smallest] { smallest = left }
            if right < elements.count && elements[right] < elements[smallest] { smallest = right }
            if smallest == parent { break }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}

/// When a pending transfer expires; ordered by time, then by id, so that expiries
/// at the same millisecond resolve in one deterministic order.
/// When an open ballot closes. Entries whose ballot is gone (a rolled-back
/// declaration) or closed are skipped when popped.
struct BallotClose: Comparable, Sendable {
    let at: Timestamp
    let action: UInt64
    static func < (a: Self, b: Self) -> Bool { (a.at, a.action) < (b.at, b.action) }
}

struct Expiry: Comparable, Sendable {
    let at: Timestamp
    let pending: PendingID
    static func < (a: Self, b: Self) -> Bool { (a.at, a.pending) < (b.at, b.pending) }
}
