import Foundation

/// The small corpus shipped in the package (see DemoCorpus/README.md).
public enum DemoCorpus {
    /// Folder with train.txt, valid.txt and test.txt.
    public static var folder: URL? {
        Bundle.module.url(forResource: "DemoCorpus", withExtension: nil)
    }
}
