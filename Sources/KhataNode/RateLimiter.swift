import Synchronization

/// Token buckets, one per key (a client's address, a signer's key): each holds
/// at most `burst` tokens and refills at `rate` a second; work that costs more
/// than a key holds is refused with the whole seconds until it would not be.
///
/// Bounded: at most `maxKeys` buckets are kept. When the table is full, buckets
/// that have refilled completely (their keys idle) are dropped; if none has, a
/// new key is refused until one does, so a flood of new addresses cannot push
/// out the clients already being served. Time comes from `clock` (monotonic
/// nanoseconds), which tests replace.
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: UInt64
    }

    let rate: Double
    let burst: Double
    /// How many tokens a key may owe after `charge` (at least `burst`).
    let maxDebt: Double
    let maxKeys: Int
    private let clock: @Sendable () -> UInt64
    private let buckets = Mutex<[Key: Bucket]>([:])
    /// When the full table was last swept for idle buckets: at most every 100 ms,
    /// so that a flood of new keys cannot make every request scan the table.
    private let lastSweep = Mutex<UInt64?>(nil)

    /// `rate` tokens a second, `burst` at most (at least one second's worth).
    init(rate: Double, burst: Double? = nil, maxDebt: Double? = nil, maxKeys: Int = 65_536, clock: @escaping @Sendable () -> UInt64) {
        precondition(rate > 0 && maxKeys > 0, "RateLimiter: rate \(rate), maxKeys \(maxKeys)")
        self.rate = rate
        self.burst = max(burst ?? rate, 1)
        self.maxDebt = max(maxDebt ?? self.burst, self.burst)
        self.maxKeys = maxKeys
        self.clock = clock
    }

    /// Takes `cost` tokens from `key`'s bucket: nil if it held them, else the
    /// seconds (at least 1) after which it would. A cost above `burst` is
    /// measured against a full bucket, so it is refused with the time to fill it.
    func take(_ cost: Int, for key: Key) -> Int? {
        let now = clock()
        return buckets.withLock { buckets -> Int? in
            guard var bucket = bucket(for: key, now: now, in: &buckets) else { return 1 }
            let needed = min(Double(cost), burst)
            guard bucket.tokens >= needed else {
                buckets[key] = bucket
                return max(1, Int(((needed - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= Double(cost)
            buckets[key] = bucket
            return nil
        }
    }

    /// Takes `cost` tokens from `key` after the fact (for work whose cost is
    /// known only once done), leaving at most `maxDebt` owed. Nothing happens if
    /// the key has no bucket and the table has no room for one.
    func charge(_ cost: Int, for key: Key) {
        let now = clock()
        buckets.withLock { buckets in
            guard var bucket = bucket(for: key, now: now, in: &buckets) else { return }
            bucket.tokens = max(-maxDebt, bucket.tokens - Double(cost))
            buckets[key] = bucket
        }
    }

    /// Keys with a bucket now (for tests and metrics).
    var count: Int { buckets.withLock { $0.count } }

    /// `key`'s bucket refilled to `now`, made if need be; nil if the table is
    /// full of keys that are all still owed tokens.
    private func bucket(for key: Key, now: UInt64, in buckets: inout [Key: Bucket]) -> Bucket? {
        if var bucket = buckets[key] {
            refill(&bucket, now)
            return bucket
        }
        if buckets.count >= maxKeys {
            let due = lastSweep.withLock { last in
                guard last.map({ now >= $0 + 100_000_000 }) ?? true else { return false }
                last = now
                return true
            }
            guard due else { return nil }
            buckets = buckets.filter { _, bucket in
                var refilled = bucket
                refill(&refilled, now)
                return refilled.tokens < burst
            }
            guard buckets.count < maxKeys else { return nil }
        }
        return Bucket(tokens: burst, refilledAt: now)
    }

    private func refill(_ bucket: inout Bucket, _ now: UInt64) {
        guard now > bucket.refilledAt else { return }
        bucket.tokens = min(burst, bucket.tokens + Double(now - bucket.refilledAt) / 1e9 * rate)
        bucket.refilledAt = now
    }
}
