/// Every positive holding of one asset, kept in fixed-size pages so that a copy
/// of all of them costs O(pages) and the sequencer never stops for it.
///
/// A liabilities commitment is built from the balances as they stood at one
/// entry, over tens of seconds, while the sequencer keeps applying entries. A
/// copy of `pages` shares every page; the sequencer's next change to a page
/// copies just that page (`pageSize` holdings), so the cost of a consistent view
/// is spread over the writes that follow it instead of paid at once.
///
/// Derived from `LedgerState.balances` (kept in step by `setBalance`), so it is
/// not part of the snapshot or the digest.
public struct HoldingBook: Sendable {
    public static let pageSize = 4_096

    public let asset: AssetCode
    /// Where each account's holding is; an account keeps its slot when its
    /// balance falls to zero.
    private var slots: [AccountID: Int] = [:]
    private var pages: [[Holding]] = []
    public private(set) var count = 0

    public init(asset: AssetCode) { self.asset = asset }

    /// Sets `account`'s holding to `posted` (accounts never positive take no slot).
    /// Public for benchmarks that build a book without a ledger; a ledger's own
    /// book is changed only through its balances.
    public mutating func set(_ account: AccountID, posted: Int128) {
        let balance = posted > 0 ? UInt64(posted) : 0
        if let slot = slots[account] {
            pages[slot / HoldingBook.pageSize][slot % HoldingBook.pageSize].balance = balance
            return
        }
        guard balance > 0 else { return }
        if count % HoldingBook.pageSize == 0 {
            pages.append([])
            pages[pages.count - 1].reserveCapacity(HoldingBook.pageSize)
        }
        pages[pages.count - 1].append(Holding(account: account, balance: balance))
        slots[account] = count
        count += 1
    }

    /// The holdings now, sharing pages with the book: O(pages) to take.
    public var view: HoldingView { HoldingView(asset: asset, pages: pages, count: count) }
}

/// One account's holding of an asset.
public struct Holding: Hashable, Sendable {
    public let account: AccountID
    public internal(set) var balance: UInt64
}

/// A consistent, immutable view of a `HoldingBook` at one moment.
public struct HoldingView: Sendable {
    public let asset: AssetCode
    public let pages: [[Holding]]
    /// Slots in use, zero balances included.
    public let count: Int

    /// Calls `body` with every holding of a positive balance, in slot order.
    public func forEachPositive(_ body: (Holding) throws -> Void) rethrows {
        for page in pages {
            for holding in page where holding.balance > 0 { try body(holding) }
        }
    }
}

extension LedgerState {
    /// The holdings of the monetary policy's currency now and the size they are
    /// after, for a liabilities tree; nil without a policy. O(pages).
    public var liabilityView: (holdings: HoldingView, asOf: UInt64)? {
        guard let currency = reserves.policy?.currency, let book = currencyHoldings, book.asset == currency else { return nil }
        return (book.view, size)
    }

    /// Starts keeping `currencyHoldings` for `asset` from the balances now.
    /// Costs O(balances) once, when the first policy is set or a snapshot loads.
    /// Slots follow the dictionary's order: a tree's leaf positions come from a
    /// keyed permutation, so nothing depends on it.
    mutating func trackHoldings(of asset: AssetCode) {
        var book = HoldingBook(asset: asset)
        for (key, balance) in balances where key.asset == asset {
            book.set(key.account, posted: balance.posted)
        }
        currencyHoldings = book
    }
}
