import Foundation

/// Reading and writing the safetensors format (Hugging Face): an 8-byte little-endian
/// header length, a JSON header mapping each name to `{dtype, shape, data_offsets}` (plus an
/// optional `__metadata__` string map), then the raw little-endian tensor bytes.
///
/// Every field of an untrusted file is validated, so a malformed file is an error that says
/// what is wrong, never a crash or an out-of-range read.
public struct SafeTensors {
    public enum DType: String, Sendable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

        public var byteSize: Int {
            switch self {
            case .f64, .i64: 8
            case .f32, .i32: 4
            case .f16, .bf16, .i16: 2
            case .i8, .u8, .bool: 1
            }
        }
    }

    /// One stored tensor: its type, shape and raw bytes.
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        public let bytes: Data
    }

    public enum FormatError: Error, CustomStringConvertible, Equatable {
        case fileTooSmall(Int)
        case headerLengthOutOfRange(UInt64, available: Int)
        case headerNotJSON(String)
        case badEntry(String, String)
        case unsupportedDType(String, String)
        case offsetsOutOfRange(String, begin: Int, end: Int, available: Int)
        case sizeMismatch(String, expected: Int, actual: Int)
        case overlapping(String, String)
        case missingTensor(String)
        case wrongType(String, expected: String, actual: String)

        public var description: String {
            switch self {
            case .fileTooSmall(let n):
                return "not a safetensors file: \(n) bytes, shorter than the 8-byte header length"
            case .headerLengthOutOfRange(let n, let available):
                return "malformed safetensors header: it claims \(n) bytes but only \(available) follow (truncated or not a safetensors file)"
            case .headerNotJSON(let why):
                return "malformed safetensors header: not a JSON object (\(why))"
            case .badEntry(let name, let why):
                return "malformed safetensors entry '\(name)': \(why)"
            case .unsupportedDType(let name, let d):
                return "tensor '\(name)' has unknown dtype '\(d)'"
            case .offsetsOutOfRange(let name, let b, let e, let available):
                return "tensor '\(name)' has data offsets [\(b), \(e)] outside the \(available)-byte data section (truncated file?)"
            case .sizeMismatch(let name, let expected, let actual):
                return "tensor '\(name)' needs \(expected) bytes for its dtype and shape but its offsets span \(actual)"
            case .overlapping(let a, let b):
                return "tensors '\(a)' and '\(b)' overlap in the data section"
            case .missingTensor(let name):
                return "no tensor named '\(name)' in the file"
            case .wrongType(let name, let expected, let actual):
                return "tensor '\(name)' is \(actual), expected \(expected)"
            }
        }
    }

    public var entries: [String: Entry]
    public var metadata: [String: String]

    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    // MARK: Reading

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: url.path,
                NSLocalizedDescriptionKey: "cannot read \(url.path): \(error.localizedDescription)"])
        }
        try self.init(data: data)
    }

    public init(data: Data) throws {
        guard data.count >= 8 else { throw FormatError.fileTooSmall(data.count) }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw FormatError.headerLengthOutOfRange(headerLength, available: data.count - 8)
        }
        let hl = Int(headerLength)
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + hl))
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw FormatError.headerNotJSON("\(error)")
        }
        guard let header = json as? [String: Any] else { throw FormatError.headerNotJSON("top level is not an object") }
        let dataStart = data.startIndex + 8 + hl
        let available = data.count - 8 - hl
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var spans: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw FormatError.badEntry(name, "metadata must be a map of strings") }
                for (k, v) in m {
                    guard let s = v as? String else { throw FormatError.badEntry(name, "metadata value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw FormatError.badEntry(name, "not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw FormatError.badEntry(name, "missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw FormatError.unsupportedDType(name, dtypeName) }
            guard let shapeAny = info["shape"] as? [Any] else { throw FormatError.badEntry(name, "missing shape") }
            let shape = try shapeAny.map { v -> Int in
                guard let d = SafeTensors.integer(v), d >= 0 else { throw FormatError.badEntry(name, "shape has a non-integer or negative dimension") }
                return d
            }
            guard let offs = info["data_offsets"] as? [Any], offs.count == 2,
                  let begin = SafeTensors.integer(offs[0]), let end = SafeTensors.integer(offs[1]) else {
                throw FormatError.badEntry(name, "data_offsets must be two integers")
            }
            guard begin >= 0, begin <= end, end <= available else {
                throw FormatError.offsetsOutOfRange(name, begin: begin, end: end, available: available)
            }
            var elements = 1
            for d in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw FormatError.badEntry(name, "shape \(shape) is too large") }
                elements = p
            }
            let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, expected == end - begin else {
                throw FormatError.sizeMismatch(name, expected: overflow ? Int.max : expected, actual: end - begin)
            }
            spans.append((begin, end, name))
            entries[name] = Entry(dtype: dtype, shape: shape,
                                  bytes: data.subdata(in: (dataStart + begin)..<(dataStart + end)))
        }
        if !metadata.isEmpty {
            // Read the strings again with JSONDecoder: swift-corelibs-foundation's
            // JSONSerialization drops a U+FEFF that starts a string, and WikiText-2 has that
            // token, so a checkpoint's vocabulary would not match its corpus.
            metadata = (try? JSONDecoder().decode(HeaderMetadata.self, from: headerData).metadata) ?? metadata
        }
        spans.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (a, b) in zip(spans, spans.dropFirst()) where b.0 < a.1 {
            throw FormatError.overlapping(a.2, b.2)
        }
        self.entries = entries
        self.metadata = metadata
    }

    private struct HeaderMetadata: Decodable {
        let metadata: [String: String]
        enum CodingKeys: String, CodingKey { case metadata = "__metadata__" }
    }

    /// JSON integers arrive as Int or NSNumber depending on the platform; reject fractions and booleans.
    static func integer(_ v: Any) -> Int? {
        if let i = v as? Int, !(v is Bool) { return i }
        if let n = v as? NSNumber {
            let d = n.doubleValue
            if d.rounded() == d, abs(d) < 9e15, String(cString: n.objCType) != "c" { return n.intValue }
        }
        return nil
    }

    /// The named tensor as Float32 (F32 directly; F64, F16/BF16 and integer types converted).
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw FormatError.missingTensor(name) }
        let n = e.shape.reduce(1, *)
        let t = Tensor(zeros: e.shape)
        let out = t.data
        e.bytes.withUnsafeBytes { raw in
            for i in 0..<n {
                switch e.dtype {
                case .f32: out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                case .f64: out[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
                case .bf16: out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
                case .f16: out[i] = SafeTensors.halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                case .i64: out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case .i32: out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .i16: out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case .i8: out[i] = Float(raw.load(fromByteOffset: i, as: Int8.self))
                case .u8, .bool: out[i] = Float(raw.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
        return t
    }

    /// The named integer tensor (I64, I32, I16, I8, U8) as ids.
    public func indices(_ name: String) throws -> IndexTensor {
        guard let e = entries[name] else { throw FormatError.missingTensor(name) }
        let n = e.shape.reduce(1, *)
        var values = [Int32](repeating: 0, count: n)
        try e.bytes.withUnsafeBytes { raw in
            for i in 0..<n {
                let v: Int64
                switch e.dtype {
                case .i64: v = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                case .i32: v = Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .i16: v = Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case .i8: v = Int64(raw.load(fromByteOffset: i, as: Int8.self))
                case .u8: v = Int64(raw.load(fromByteOffset: i, as: UInt8.self))
                default: throw FormatError.wrongType(name, expected: "an integer type", actual: e.dtype.rawValue)
                }
                guard let small = Int32(exactly: v) else { throw FormatError.badEntry(name, "id \(v) does not fit in 32 bits") }
                values[i] = small
            }
        }
        return IndexTensor(shape: e.shape, values: values)
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31, exp = Int((h >> 10) & 0x1F), frac = UInt32(h & 0x3FF)
        if exp == 0 { return (sign != 0 ? -1 : 1) * Float(frac) * 0x1p-24 }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (frac << 13))
    }

    // MARK: Writing

    /// Adds a Float32 tensor under `name`.
    public mutating func set(_ name: String, _ tensor: Tensor) {
        var bytes = Data(count: tensor.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<tensor.count {
                raw.storeBytes(of: tensor.data[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        entries[name] = Entry(dtype: .f32, shape: tensor.shape, bytes: bytes)
    }

    /// Adds an integer tensor under `name`, stored as I64 (PyTorch's `long`).
    public mutating func set(_ name: String, _ ids: IndexTensor) {
        var bytes = Data(count: ids.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in ids.values.enumerated() {
                raw.storeBytes(of: Int64(v).littleEndian, toByteOffset: 8 * i, as: Int64.self)
            }
        }
        entries[name] = Entry(dtype: .i64, shape: ids.shape, bytes: bytes)
    }

    /// The serialized file: names sorted, data packed in that order, header padded with
    /// spaces to a multiple of 8 bytes (as the reference implementation does).
    public func serialized() -> Data {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(SafeTensors.jsonString($0.key)):\(SafeTensors.jsonString($0.value))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        let order = entries.sorted { $0.key < $1.key }
        for (name, e) in order {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append("\(SafeTensors.jsonString(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Data(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        var len = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for (_, e) in order { out.append(e.bytes) }
        return out
    }

    /// Writes atomically: to a temporary file beside `url`, then renamed over it, so an
    /// interrupted write never leaves a half-written checkpoint.
    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(), to: url)
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

/// Whole-file writes that never leave a partial file behind.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: tmp)
            // rename(2) replaces the target atomically.
            guard rename(tmp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSLocalizedDescriptionKey: "cannot move \(tmp.path) to \(url.path): \(String(cString: strerror(errno)))"])
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }
}
