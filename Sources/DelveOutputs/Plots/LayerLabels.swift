import Delve

/// Short, still distinct axis labels for layer names.
///
/// Deep networks name layers like `encoder.layers.17.self_attention.out_proj`: cutting the end of such
/// names makes them all look alike. When names are too long, the part every name shares at the start and
/// at the end (cut at a `.`, `/` or `_`) is moved into a caption (`encoder.layers.*.self_attention.out_proj`)
/// and the labels keep what differs (`17`); what is still too long is shortened in the middle (`ab..yz`).
public enum LayerLabels {
    /// The labels for `names` (same order), each at most `limit` characters, and the caption describing
    /// the removed common parts (nil when nothing was removed).
    public static func abbreviate(_ names: [String], limit: Int) -> (labels: [String], caption: String?) {
        guard names.contains(where: { $0.count > limit }) else { return (names, nil) }
        var labels = names
        var caption: String?
        if names.count >= 2 {
            let prefix = commonPrefix(names)
            let suffix = String(commonPrefix(names.map { String($0.reversed()) }).reversed())
            let stripped = names.map { name -> String in
                let start = name.index(name.startIndex, offsetBy: min(prefix.count, name.count))
                let end = name.index(name.endIndex, offsetBy: -min(suffix.count, name.count - min(prefix.count, name.count)))
                return String(name[start..<end])
            }
            if (!prefix.isEmpty || !suffix.isEmpty), !stripped.contains(where: \.isEmpty), Set(stripped).count == Set(names).count {
                labels = stripped
                caption = prefix + "*" + suffix
            }
        }
        return (labels.map { middleTruncated($0, limit: limit) }, caption)
    }

    /// The longest common start of all names that ends right after a separator (`.`, `/`, `_`, `-`).
    static func commonPrefix(_ names: [String]) -> String {
        guard var prefix = names.first.map(Array.init) else { return "" }
        for name in names.dropFirst() {
            let chars = Array(name)
            var n = 0
            while n < prefix.count, n < chars.count, prefix[n] == chars[n] { n += 1 }
            prefix = Array(prefix[0..<n])
        }
        while let last = prefix.last, !".-/_".contains(last) { prefix.removeLast() }
        return String(prefix)
    }

    /// `text` shortened in the middle to `limit` characters (`"encoder..out_proj"`).
    public static func middleTruncated(_ text: String, limit: Int) -> String {
        guard text.count > limit, limit >= 4 else { return text.count > limit ? String(text.prefix(limit)) : text }
        let keep = limit - 2
        let head = (keep + 1) / 2, tail = keep / 2
        return String(text.prefix(head)) + ".." + String(text.suffix(tail))
    }
}
