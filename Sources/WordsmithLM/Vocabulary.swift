/// Words (or characters) and their ids, in first-seen order — the `Dictionary` of
/// PyTorch's `data.py`, so ids agree with the example's for the same files.
public struct Vocabulary: Equatable, Sendable {
    public private(set) var words: [String] = []
    private var ids: [String: Int32] = [:]

    public init() {}

    public init(words: [String]) {
        for w in words { add(w) }
    }

    public var count: Int { words.count }

    /// The id of `word`, adding it if new.
    @discardableResult
    public mutating func add(_ word: String) -> Int32 {
        if let id = ids[word] { return id }
        let id = Int32(words.count)
        words.append(word)
        ids[word] = id
        return id
    }

    public func id(_ word: String) -> Int32? { ids[word] }

    public func word(_ id: Int32) -> String { words[Int(id)] }

    public static let endOfSentence = "<eos>"
    public static let unknown = "<unk>"
}
