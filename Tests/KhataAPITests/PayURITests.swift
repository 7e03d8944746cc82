import Foundation
import KhataAPI
import KhataCore
import KhataTestSupport
import Testing

/// Runs `tool` with `arguments`, feeding nothing; returns its exit status and standard output.
private func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private func scales(_ asset: AssetCode) -> UInt8? { [inr: 2, usd: 2, btc: 8][asset] }

@Suite("Pay URIs and QR codes")
struct PayURITests {
    private func intent(_ note: String = "tea", amount: UInt64? = 25_000) -> PaymentIntent {
        try! PaymentIntent(
            payee: .address(PaymentAddress(text: "asha@kbank")!), name: "Asha Verma", amount: amount.map(Amount.init), currency: inr, note: note,
            reference: "ORD-1234")
    }

    @Test func uriCarriesUPIsFieldsAndReadsBack() throws {
        let uri = intent().uri(scale: 2)
        #expect(uri == "upi://pay?pa=asha%40kbank&pn=Asha%20Verma&am=250.00&cu=INR&tn=tea&tr=ORD-1234")
        #expect(try PaymentIntent.parse(uri, scaleOf: scales) == intent())
        // As other apps write them: '+' for a space, UPI's extra fields passed over, no currency (INR).
        let foreign = try PaymentIntent.parse("upi://pay?pa=ASHA@kbank&pn=Asha+Verma&am=250&mc=5411&tn=tea&tr=ORD-1234", scaleOf: scales)
        #expect(foreign == intent())
        // An account id instead of an address; no amount.
        let plain = try PaymentIntent.parse("upi://pay?pa=\(Fixture.bob.hex)&pn=Bob&cu=USD", scaleOf: scales)
        #expect(plain.payee == .account(Fixture.bob) && plain.amount == nil && plain.currency == usd)
    }

    @Test(arguments: [
        ("http://pay?pa=a@b&pn=A", "uri"), ("upi://pay?pn=A", "pa"), ("upi://pay?pa=a@b", "pn"), ("upi://pay?pa=nobody&pn=A", "pa"),
        ("upi://pay?pa=a@b&pn=A&am=2.505", "am"), ("upi://pay?pa=a@b&pn=A&am=-1", "am"), ("upi://pay?pa=a@b&pn=A&am=1e3", "am"),
        ("upi://pay?pa=a@b&pn=A&am=007", "am"), ("upi://pay?pa=a@b&pn=A&am=0", "am"), ("upi://pay?pa=a@b&pn=A&am=99999999999999999999", "am"),
        ("upi://pay?pa=a@b&pn=A&cu=XYZ", "cu"), ("upi://pay?pa=a@b&pn=A&pa=c@d", "pa"), ("upi://pay?pa=a@b&pn=A&zz=1", "zz"),
        ("upi://pay?pa=a@b&pn=A&tr=has space", "tr"), ("upi://pay?pa=a@b&pn=" + String(repeating: "n", count: 65), "pn"),
        ("upi://pay?pa=a@b&pn=A&tn=" + String(repeating: "t", count: 65), "tn"), ("upi://pay?pa=a@b&pn=A&tn=%E0%A4", "uri"),
    ])
    func badURIsAreRefusedNamingTheField(uri: String, field: String) {
        #expect(throws: PaymentIntent.Invalid.self) { try PaymentIntent.parse(uri, scaleOf: scales) }
        do {
            _ = try PaymentIntent.parse(uri, scaleOf: scales)
        } catch {
            #expect(error.field == field, "\(uri): \(error)")
        }
    }

    /// Every generated code, as PNG and as SVG, decodes with zbar (an
    /// independent decoder) to exactly the URI: short and long URIs, so that
    /// one-block, multi-block and version-information symbols are all covered.
    @Test func qrCodesDecodeToTheURI() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        var versions: Set<Int> = []
        for length in [0, 10, 40, 64] {
            let uri = intent(String(repeating: "x", count: length)).uri(scale: 2)
            for padding in [0, 150, 300] {
                let text = padding == 0 ? uri : uri + "&mc=" + String(repeating: "9", count: padding)
                let code = try QRCode(bytes: Array(text.utf8))
                versions.insert(code.version)
                let png = "\(directory)/code.png"
                try Data(code.png()).write(to: URL(fileURLWithPath: png))
                let decoded = try run("zbarimg", ["--raw", "-q", png])
                #expect(decoded.status == 0, "zbarimg could not read version \(code.version)")
                #expect(decoded.output == text + "\n", "PNG, version \(code.version)")
                let svg = "\(directory)/code.svg"
                try Data(code.svg().utf8).write(to: URL(fileURLWithPath: svg))
                let rendered = "\(directory)/svg.png"
                #expect(try run("rsvg-convert", ["-w", "600", "-o", rendered, svg]).status == 0)
                #expect(try run("zbarimg", ["--raw", "-q", rendered]).output == text + "\n", "SVG, version \(code.version)")
            }
        }
        #expect(versions.contains { $0 < 7 } && versions.contains { $0 >= 7 } && versions.count >= 4, "\(versions.sorted())")
    }

    @Test func capacityIsBounded() {
        #expect(QRCode.capacity(version: 1) == 14)
        #expect(QRCode.capacity(version: 40) == 2_331)
        #expect(throws: QRCode.TooLong.self) { try QRCode(bytes: Array(repeating: 0x41, count: 2_332)) }
    }
}
