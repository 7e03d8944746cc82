import KhataBench
import Testing

@Suite("Payment benchmark")
struct PaymentBenchmarkTests {
    /// The benchmark runs end to end on a small workload: every transfer and
    /// remittance commits (it stops otherwise) and the corridor report counts
    /// every remittance, priced against the oracle's mid rate.
    @Test func smallRunCommitsAndReports() {
        let report = PaymentBenchmark.run(transactions: 200, corridorRemittances: 500) { _ in }
        #expect(report.transfersPerSecond > 0 && report.remittancesPerSecond > 0)
        #expect(report.corridorRemittances == 500)
        // $10 to $1,009.99 at 83.00 against a mid of 83.20 with a $1.99 fee: between 0.2 % and 20.2 %.
        let cost = report.corridorMedianCostPercent ?? -1
        #expect(cost > 0.2 && cost < 20.2, "\(cost)")
    }
}
