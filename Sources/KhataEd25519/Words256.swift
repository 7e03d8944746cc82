/// 256 bits as four 64-bit words, least significant first: how this module
/// holds scalars, field encodings and point encodings without allocating.
typealias Words256 = (UInt64, UInt64, UInt64, UInt64)

/// The first 32 bytes of `bytes`, read as a little-endian 256-bit number.
@inline(__always)
func littleEndianWords(_ bytes: UnsafeRawBufferPointer) -> Words256 {
    precondition(bytes.count >= 32, "littleEndianWords: needs 32 bytes, got \(bytes.count)")
    func word(_ i: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian }
    return (word(0), word(1), word(2), word(3))
}
