import Benchmark
import Foundation
import KhataAPI
import KhataBench
import KhataBytes
import KhataCore
import KhataEd25519
import KhataLog

// The hot paths under the write path and the audit, each measured alone:
// signature checks by path, Merkle hashing, entry encoding and decoding, and the
// state machine's apply. `khata bench engine` measures them together, end to end.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000
    )

    let workload = EngineBenchmark.Workload()
    let signed = workload.signedTransactions(count: 1_000, transfersEach: 1, workers: 2)
    let messages = signed.map { $0.signingBytes(origin: EngineBenchmark.Workload.origin) }

    // One key that has signed often takes the precomputed-table path; any other
    // goes to BoringSSL. `scaledIterations` runs 1,000 verifications per iteration.
    Benchmark("Ed25519 verify, table path") { benchmark in
        // Every one of the workload's 64 payers signs 15 of the 1,000: each earns a table here.
        let verifier = Ed25519Verifier(limits: .init(tableCapacity: 1_024, validSignaturesBeforeTable: 7, sightingCapacity: 65_536))
        for (n, transaction) in signed.enumerated() {
            _ = verifier.isValidSignature(transaction.signatures[0].signature, for: messages[n], publicKey: transaction.signatures[0].key.bytes)
        }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let n = i % signed.count
            blackHole(verifier.isValidSignature(signed[n].signatures[0].signature, for: messages[n], publicKey: signed[n].signatures[0].key.bytes))
        }
    }

    Benchmark("Ed25519 verify, BoringSSL") { benchmark in
        for i in benchmark.scaledIterations {
            let n = i % signed.count
            blackHole(
                Ed25519Verifier.isValidSignatureWithBoringSSL(
                    signed[n].signatures[0].signature, for: messages[n], publicKey: signed[n].signatures[0].key.bytes))
        }
    }

    let leaves = (0..<1_024).map { RFC6962.leafHash([UInt8(truncatingIfNeeded: $0), 1, 2, 3]) }
    Benchmark("Merkle tree edge append (RFC 6962 node hashes)") { benchmark in
        var edge = TreeEdge()
        for i in benchmark.scaledIterations { blackHole(edge.append(leaves[i % leaves.count])) }
    }

    let entries = signed.enumerated().map { n, transaction in
        Entry(index: LeafIndex(UInt64(n + 1)), time: Timestamp(milliseconds: 2), payload: .transaction(transaction), outcome: .committed)
    }
    let encoded = entries.map(\.encoded)
    Benchmark("entry encode") { benchmark in
        for i in benchmark.scaledIterations { blackHole(entries[i % entries.count].encoded) }
    }

    Benchmark("entry decode") { benchmark in
        for i in benchmark.scaledIterations { blackHole(try Entry(decoding: encoded[i % encoded.count])) }
    }

    // The node reads transfer submissions with a direct reader and falls back to
    // JSONDecoder for anything else (Transaction+FastJSON.swift); these two say what
    // the direct reader saves per submission.
    let bodies = signed.map { Array(try! JSONEncoder().encode($0)) }
    Benchmark("JSON transfer decode, JSONDecoder") { benchmark in
        let decoder = JSONDecoder()
        for i in benchmark.scaledIterations { blackHole(try decoder.decode(Transaction.self, from: Data(bodies[i % bodies.count]))) }
    }

    Benchmark("JSON transfer decode, direct reader") { benchmark in
        for i in benchmark.scaledIterations { blackHole(Transaction.decodeTransfersJSON(bodies[i % bodies.count])) }
    }

    // The state machine alone: signatures are not checked by apply.
    let transactions = workload.unsignedTransactions(count: 1_000, transfersEach: 1, scale: 1)
    let digests = transactions.map(\.contentDigest)
    Benchmark("state apply, one transfer") { benchmark in
        // A fresh state each iteration, outside the measurement: 1,000 committed transfers.
        var state = workload.genesisState()
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(state.apply(transactions[i], contentDigest: digests[i], index: LeafIndex(state.size), time: Timestamp(milliseconds: 2)))
        }
    }
}
