import KhataLog

/// A witness store in memory, for tests.
public final class MemoryWitnessStore: WitnessStore {
    private var records: [String: WitnessRecord] = [:]
    public init() {}
    public func record(for origin: String) throws -> WitnessRecord? { records[origin] }
    public func replace(origin: String, expectedSize: UInt64, with record: WitnessRecord, note: String) throws -> Bool {
        guard (records[origin]?.size ?? 0) == expectedSize else { return false }
        records[origin] = record
        return true
    }
}
