import Foundation
import KhataCore
import Testing

/// The limits fit together: whatever one limit allows, the others can carry.
@Suite("Limits")
struct LimitsTests {
    @Test func limitsFitTogether() {
        // The largest transaction plus entry framing fits in an entry, which fits a C2SP entry bundle.
        #expect(Limits.maxTransactionBytes + Limits.entryOverheadBytes == Limits.maxEntryBytes)
        #expect(Limits.maxEntryBytes <= 65_535)
        // Counts fit the widths they are encoded in.
        #expect(Limits.maxOperations <= Int(UInt16.max))
        #expect(Limits.maxSignatures <= Int(UInt8.max) && Limits.maxControllers <= Int(UInt8.max))
        #expect(Limits.maxMemoBytes <= 255 && Limits.maxOriginBytes <= 255 && Limits.maxAssetCodeBytes <= 255)
        #expect(Limits.maxAssetsPerAccount <= Int(UInt8.max))
        // All signatures a transaction may carry fit in its byte budget with room for operations.
        #expect(Limits.maxSignatures * 96 < Limits.maxTransactionBytes / 2)
        // A 100-transfer transaction (the benchmark's) fits with full memos.
        #expect(100 * (1 + 4 + 16 + 16 + 8 + 1 + Limits.maxMemoBytes) + 20 + 97 <= Limits.maxTransactionBytes)
        // Time plus the longest timeout never overflows 64 bits.
        #expect(Limits.maxTimestampMilliseconds + UInt64(Limits.maxPendingTimeoutSeconds) * 1_000 < UInt64.max)
        // 10^scale fits in 64 bits.
        #expect(Limits.maxAssetScale <= 19)
        #expect(Limits.maxPageEntries <= Limits.maxBatchTransactions)
    }
}

/// docs/REJECTIONS.md lists every rejection code with its stable number and name.
@Suite("Documentation")
struct RejectionDocumentationTests {
    @Test func everyCodeIsDocumented() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/REJECTIONS.md")
        let text = try String(contentsOf: path, encoding: .utf8)
        for code in RejectionCode.allCases {
            #expect(text.contains("| \(code.rawValue) | `\(code.name)` |"), "docs/REJECTIONS.md lacks \(code.name)")
        }
    }
}
