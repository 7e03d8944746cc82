import KhataBytes

// The reserve section of a snapshot (docs/ENCODING.md, "Snapshot"). Collections
// in ascending key order, like the rest of the snapshot.

extension ByteWriter {
    mutating func write(reserves: ReserveState) {
        if let policy = reserves.policy {
            write(UInt8(1))
            write(policy: policy)
            write(reserves.policyIndex?.value ?? 0)
        } else {
            write(UInt8(0))
        }
        write(UInt32(reserves.attestations.count))
        for key in reserves.attestations.keys.sorted() { write(loggedAttestation: reserves.attestations[key]!) }
        write(UInt32(reserves.prices.count))
        for key in reserves.prices.keys.sorted() { write(loggedPrice: reserves.prices[key]!) }
        write(UInt32(reserves.supplyHistory.count))
        for point in reserves.supplyHistory {
            write(point.size)
            write(point.supply)
        }
        if let record = reserves.liabilities {
            write(UInt8(1))
            write(commitLiabilities: record.commitment)
            write(record.index.value)
            write(evaluation: record.evaluation)
        } else {
            write(UInt8(0))
        }
    }

    mutating func write(loggedAttestation logged: Logged<AttestReserve>) {
        write(attestReserve: logged.value)
        write(logged.index.value)
    }

    mutating func write(loggedPrice logged: Logged<AttestPrice>) {
        write(attestPrice: logged.value)
        write(logged.index.value)
    }

    mutating func write(_ value: UInt128) {
        write(UInt64(truncatingIfNeeded: value >> 64))
        write(UInt64(truncatingIfNeeded: value))
    }

    mutating func write(evaluation: ReserveEvaluation) {
        write(evaluation.policyVersion)
        write(evaluation.time.milliseconds)
        write(evaluation.supply)
        write(evaluation.requiredCoverageBasisPoints)
        write(UInt8(evaluation.assets.count))
        for asset in evaluation.assets {
            write(asset: asset.asset)
            write(asset.scale)
            write(asset.haircutBasisPoints)
            write(UInt8(asset.attestations.count))
            for logged in asset.attestations { write(loggedAttestation: logged) }
            write(UInt8(asset.prices.count))
            for logged in asset.prices { write(loggedPrice: logged) }
            write(UInt8(asset.staleAttestations))
            write(asset.amount)
            write(asset.price ?? 0)
            write(asset.value)
        }
        write(evaluation.reserveValue)
    }
}

extension ByteReader {
    mutating func readReserveState() throws(MalformedInput) -> ReserveState {
        var reserves = ReserveState()
        if try readUInt8("policy present") == 1 {
            reserves.policy = try readPolicy()
            reserves.policyIndex = LeafIndex(try readUInt64("policy index"))
        }
        for _ in 0..<(try readUInt32("attestation count")) {
            let logged = try readLoggedAttestation()
            reserves.attestations[AttestorKey(account: logged.value.custodian, asset: logged.value.asset)] = logged
        }
        for _ in 0..<(try readUInt32("price count")) {
            let logged = try readLoggedPrice()
            reserves.prices[AttestorKey(account: logged.value.oracle, asset: logged.value.asset)] = logged
        }
        for _ in 0..<(try readUInt32("supply history count")) {
            reserves.supplyHistory.append(SupplyPoint(size: try readUInt64("size"), supply: try readUInt64("supply")))
        }
        if try readUInt8("liabilities present") == 1 {
            let commitment = try readCommitLiabilities()
            let index = LeafIndex(try readUInt64("liabilities index"))
            reserves.liabilities = LiabilitiesRecord(commitment: commitment, index: index, evaluation: try readEvaluation())
        }
        return reserves
    }

    mutating func readLoggedAttestation() throws(MalformedInput) -> Logged<AttestReserve> {
        let attestation = try readAttestReserve()
        return Logged(attestation, index: LeafIndex(try readUInt64("attestation index")))
    }

    mutating func readLoggedPrice() throws(MalformedInput) -> Logged<AttestPrice> {
        let price = try readAttestPrice()
        return Logged(price, index: LeafIndex(try readUInt64("price index")))
    }

    mutating func readUInt128(_ what: StaticString) throws(MalformedInput) -> UInt128 {
        let high = try readUInt64(what)
        return UInt128(high) << 64 | UInt128(try readUInt64(what))
    }

    mutating func readEvaluation() throws(MalformedInput) -> ReserveEvaluation {
        let version = try readUInt32("policy version")
        let time = Timestamp(milliseconds: try readUInt64("evaluation time"))
        let supply = try readUInt64("supply")
        let required = try readUInt32("required coverage")
        var assets: [AssetValuation] = []
        for _ in 0..<(try readUInt8("valued asset count")) {
            let asset = try readAssetCode()
            let scale = try readUInt8("scale")
            let haircut = try readUInt16("haircut")
            var attestations: [Logged<AttestReserve>] = []
            for _ in 0..<(try readUInt8("attestation count")) { attestations.append(try readLoggedAttestation()) }
            var prices: [Logged<AttestPrice>] = []
            for _ in 0..<(try readUInt8("price count")) { prices.append(try readLoggedPrice()) }
            let stale = Int(try readUInt8("stale attestations"))
            let amount = try readUInt64("amount")
            let price = try readUInt64("price")
            assets.append(
                AssetValuation(
                    asset: asset, scale: scale, haircutBasisPoints: haircut, attestations: attestations, prices: prices,
                    staleAttestations: stale, amount: amount, price: price == 0 ? nil : price, value: try readUInt128("value")))
        }
        return ReserveEvaluation(
            policyVersion: version, time: time, supply: supply, requiredCoverageBasisPoints: required, assets: assets,
            reserveValue: try readUInt128("reserve value"))
    }
}
