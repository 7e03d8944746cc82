import Crypto
import KhataBytes
import KhataEd25519

// The canonical encoding of a whole ledger state (docs/ENCODING.md, "Snapshot").
// Every collection is written in ascending key order, so equal states encode to
// equal bytes and `digest` identifies a state.

extension LedgerState {
    /// Version 2 added the reserve state, version 3 the securities state,
    /// version 4 the zones, version 5 the payments; older snapshots still load.
    public static let snapshotVersion: UInt8 = 5

    /// SHA-256 of `encodedSnapshot()`: two states are the same if and only if their
    /// digests are. Costs a sort and a hash of the whole state.
    public var digest: Digest32 { Digest32.sha256(encodedSnapshot()) }

    public func encodedSnapshot() -> [UInt8] {
        var writer = ByteWriter(capacity: 256 + balances.count * 64 + transactions.count * 64)
        writer.write(LedgerState.snapshotVersion)
        writer.writeShortBytes(Array(origin.utf8))
        writer.write(bytes: ledgerKey.bytes)
        writer.write(keySet: issuerKeys)
        writer.write(size)
        writer.write(time.milliseconds)
        writer.write(UInt32(assets.count))
        for code in assets.keys.sorted() { writer.write(asset: assets[code]!) }
        writer.write(UInt32(accounts.count))
        for id in accounts.keys.sorted() { writer.write(account: accounts[id]!) }
        writer.write(UInt32(balances.count))
        for key in balances.keys.sorted() {
            writer.write(id: key.account)
            writer.write(asset: key.asset)
            writer.write(balance: balances[key]!)
        }
        writer.write(UInt32(pendings.count))
        for id in pendings.keys.sorted() { writer.write(pendingRecord: pendings[id]!) }
        writer.write(UInt32(transactions.count))
        for id in transactions.ids.sorted() {
            let record = transactions[id]!
            writer.write(id: id)
            writer.write(bytes: record.contentDigest.bytes)
            writer.write(record.index.value)
            writer.write(outcome: record.outcome)
        }
        writer.write(reserves: reserves)
        writer.write(securities: securities)
        writer.write(zones: zones)
        writer.write(payments: payments)
        return writer.bytes
    }

    /// The origin and ledger key a snapshot names, read from its first fields
    /// without decoding the rest (a start checks checkpoints with the key while
    /// the state itself still loads).
    public static func snapshotHeader(_ bytes: [UInt8]) throws(MalformedInput) -> (origin: String, ledgerKey: PublicKey) {
        var reader = ByteReader(bytes)
        let header = try readSnapshotHeader(&reader)
        return (header.origin, header.ledgerKey)
    }

    private static func readSnapshotHeader(
        _ reader: inout ByteReader
    ) throws(MalformedInput) -> (version: UInt8, origin: String, ledgerKey: PublicKey) {
        let version = try reader.readUInt8("snapshot version")
        guard (1...LedgerState.snapshotVersion).contains(version) else {
            throw MalformedInput(.unknownVersion, "snapshot version \(version) is not supported")
        }
        let origin = String(decoding: try reader.readShortBytes(limit: Limits.maxOriginBytes, "origin"), as: UTF8.self)
        return (version, origin, try reader.readPublicKey())
    }

    /// Restores a state from `encodedSnapshot()` bytes, refusing anything malformed.
    public init(snapshot bytes: [UInt8]) throws(MalformedInput) {
        var reader = ByteReader(bytes)
        let header = try LedgerState.readSnapshotHeader(&reader)
        let version = header.version
        self.init(origin: header.origin, ledgerKey: header.ledgerKey, issuerKeys: try reader.readKeySet())
        size = try reader.readUInt64("size")
        time = Timestamp(milliseconds: try reader.readUInt64("time"))
        for _ in 0..<(try reader.readUInt32("asset count")) {
            let asset = try reader.readAsset()
            assets[asset.code] = asset
        }
        for _ in 0..<(try reader.readUInt32("account count")) {
            let account = try reader.readAccount()
            accounts[account.id] = account
        }
        for _ in 0..<(try reader.readUInt32("balance count")) {
            let key = BalanceKey(account: try reader.readID(AccountID.self, "account"), asset: try reader.readAssetCode())
            setBalance(key, try reader.readBalance())
        }
        for _ in 0..<(try reader.readUInt32("pending count")) {
            let record = try reader.readPendingRecord()
            pendings[record.id] = record
            if record.state == .pending { expiries.push(Expiry(at: record.expiresAt, pending: record.id)) }
        }
        let transactionCount = try reader.readUInt32("transaction count")
        // Each record takes 57 bytes at least: a count the bytes cannot hold
        // reserves no more than they could.
        transactions.reserveCapacity(min(Int(transactionCount), reader.remaining / 57))
        for _ in 0..<transactionCount {
            let id = try reader.readID(TransactionID.self, "transaction")
            let digest = Digest32(bytes: try reader.readBytes(32, "content digest"))!
            let index = LeafIndex(try reader.readUInt64("index"))
            transactions[id] = TransactionRecord(contentDigest: digest, index: index, outcome: try reader.readOutcome())
        }
        if version >= 2 { reserves = try reader.readReserveState() }
        if version >= 3 { securities = try reader.readSecuritiesState(withheld: version >= 4) }
        if version >= 4 { zones = try reader.readZoneState() }
        if version >= 5 { payments = try reader.readPaymentState() }
        try reader.expectEnd("the snapshot")
        for (key, use) in payments.quotes { quoteExpiries.push(QuoteExpiry(at: use.expiresAt, quote: key)) }
        for (hold, remittance) in payments.holds {
            guard pendings[hold]?.state == .pending, pendings[hold]?.expiresAt == payments.remittances[remittance]?.expiresAt else {
                throw MalformedInput(.invalidValue, "remittance \(remittance) waits on \(hold), which is not a pending transfer of its expiry")
            }
        }
        if let currency = reserves.policy?.currency { trackHoldings(of: currency) }
        for (member, group) in securities.links {
            guard let record = pendings[member], record.expiresAt == pendings[group[0]]?.expiresAt else {
                throw MalformedInput(.invalidValue, "linked pending transfer \(member) is not a pending transfer of its group's expiry")
            }
        }
        rebuildSecuritiesIndexes()
    }

    /// The securities state's derived parts, from the rest of a loaded state:
    /// each instrument's holdings and its pending transfers still pending.
    mutating func rebuildSecuritiesIndexes() {
        guard !securities.instruments.isEmpty else { return }
        for asset in securities.instruments.keys { instrumentHoldings[asset] = HoldingBook(asset: asset) }
        for (key, balance) in balances where instrumentHoldings[key.asset] != nil {
            instrumentHoldings[key.asset]!.set(key.account, posted: balance.posted)
        }
        for record in pendings.values where record.state == .pending && securities.instruments[record.transfer.asset] != nil {
            securities.countHold(of: record.transfer.asset, by: 1)
        }
        for id in securities.openActions.values.joined() {
            if let ballot = securities.actions[id]!.declaration.terms.ballot { ballotCloses.push(BallotClose(at: ballot.closesAt, action: id)) }
        }
    }
}

extension ByteWriter {
    mutating func write(asset: Asset) {
        write(asset: asset.code)
        write(asset.kind.rawValue)
        write(asset.scale)
        write(id: asset.issuer)
        write(id: asset.issuanceAccount)
        write(asset.registeredAt.value)
    }

    mutating func write(account: Account) {
        write(id: account.id)
        write(account.flags)
        write(account.zone)
        write(account.kycTier)
        write(account.createdAt.value)
        writeShortBytes(account.issuedAsset?.bytes ?? [])
        if let controllers = account.controllers {
            write(UInt8(1))
            write(keySet: controllers)
        } else {
            write(UInt8(0))
        }
        write(UInt8(account.assets.count))
        for asset in account.assets { write(asset: asset) }
    }

    mutating func write(balance: Balance) {
        write(balance.debitsPosted)
        write(balance.creditsPosted)
        write(balance.debitsPending)
        write(balance.creditsPending)
    }

    mutating func write(pendingRecord record: PendingRecord) {
        write(pending: record.id)
        write(transfer: record.transfer)
        write(record.expiresAt.milliseconds)
        write(record.state.rawValue)
        write(record.postedAmount.units)
    }
}

extension ByteReader {
    mutating func readAsset() throws(MalformedInput) -> Asset {
        let code = try readAssetCode()
        let kindByte = try readUInt8("asset kind")
        guard let kind = AssetKind(rawValue: kindByte) else { throw MalformedInput(.unknownTag, "unknown asset kind \(kindByte)") }
        return Asset(
            code: code, kind: kind, scale: try readUInt8("scale"), issuer: try readID(AccountID.self, "issuer"),
            issuanceAccount: try readID(AccountID.self, "issuance account"), registeredAt: LeafIndex(try readUInt64("registered at")))
    }

    mutating func readAccount() throws(MalformedInput) -> Account {
        let id = try readID(AccountID.self, "account")
        let flags = try readUInt8("flags")
        let zone = try readUInt16("zone")
        let tier = try readUInt8("KYC tier")
        let createdAt = LeafIndex(try readUInt64("created at"))
        let issued = try readShortBytes(limit: Limits.maxAssetCodeBytes, "issued asset")
        let issuedAsset = issued.isEmpty ? nil : AssetCode(String(decoding: issued, as: UTF8.self))
        let controllers: KeySet? = try readUInt8("controllers present") == 1 ? try readKeySet() : nil
        var held: [AssetCode] = []
        for _ in 0..<(try readUInt8("asset count")) { held.append(try readAssetCode()) }
        guard flags & 1 == (issuedAsset == nil ? 0 : 1), flags & ~3 == 0 else {
            throw MalformedInput(.invalidValue, "account \(id) has inconsistent flags \(flags)")
        }
        return Account(
            id: id, controllers: controllers, issuedAsset: issuedAsset, isClosed: flags & 2 != 0,
            zone: zone, kycTier: tier, createdAt: createdAt, assets: held)
    }

    mutating func readBalance() throws(MalformedInput) -> Balance {
        Balance(
            debitsPosted: try readUInt64("debits posted"), creditsPosted: try readUInt64("credits posted"),
            debitsPending: try readUInt64("debits pending"), creditsPending: try readUInt64("credits pending"))
    }

    mutating func readPendingRecord() throws(MalformedInput) -> PendingRecord {
        let id = try readPendingID()
        let transfer = try readTransfer()
        let expiresAt = Timestamp(milliseconds: try readUInt64("expires at"))
        let stateByte = try readUInt8("pending state")
        guard let state = PendingState(rawValue: stateByte) else { throw MalformedInput(.unknownTag, "unknown pending state \(stateByte)") }
        return PendingRecord(id: id, transfer: transfer, expiresAt: expiresAt, state: state, postedAmount: Amount(try readUInt64("posted")))
    }
}
