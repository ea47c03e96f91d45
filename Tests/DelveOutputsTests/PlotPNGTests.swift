import CDelveZlib
import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// A PNG decoded by the test's own reader: checks signature, chunk order and every CRC, inflates IDAT.
struct DecodedPNG {
    var width = 0, height = 0, bitDepth = 0, colorType = 0
    var chunkTypes: [String] = []
    var scanlines: [UInt8] = []

    /// Bitwise CRC-32 (polynomial 0xEDB88320), independent of zlib's table-driven one.
    static func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    init(_ bytes: [UInt8]) throws {
        try #require(bytes.count > 8 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func u32(_ i: Int) -> UInt32 { bytes[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        var offset = 8
        var idat: [UInt8] = []
        while offset < bytes.count {
            let length = Int(u32(offset))
            try #require(offset + 12 + length <= bytes.count)
            let typeAndData = Array(bytes[offset + 4..<offset + 8 + length])
            let type = String(decoding: typeAndData[0..<4], as: UTF8.self)
            #expect(u32(offset + 8 + length) == DecodedPNG.referenceCRC32(typeAndData), "CRC of chunk \(type)")
            chunkTypes.append(type)
            let data = Array(typeAndData[4...])
            if type == "IHDR" {
                width = Int(data[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
                height = Int(data[4..<8].reduce(0) { $0 << 8 | UInt32($1) })
                bitDepth = Int(data[8])
                colorType = Int(data[9])
            } else if type == "IDAT" {
                idat += data
            }
            offset += 12 + length
        }
        var size = uLong(height * (1 + width * 3) + 16)
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = uncompress(&out, &size, idat, uLong(idat.count))
        try #require(status == Z_OK)
        scanlines = Array(out[0..<Int(size)])
    }

    /// The pixel at (x, y), for filter type 0 scanlines.
    func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = y * (1 + width * 3) + 1 + x * 3
        return RGB(scanlines[i], scanlines[i + 1], scanlines[i + 2])
    }
}

@Suite("PNG encoding and rasterizer")
struct PlotPNGTests {
    @Test("zlib CRC-32 matches the known vector and the bitwise reference")
    func crc() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(DecodedPNG.referenceCRC32(Array("IEND".utf8)) == 0xAE42_6082)
    }

    @Test("a small image decodes: signature, chunk CRCs, inflated size, exact pixels")
    func smallImage() throws {
        var image = RasterImage(width: 3, height: 2, color: RGB(10, 20, 30))
        image.pixels[3 * 4 + 0] = 200  // pixel (1, 1) red channel
        let decoded = try DecodedPNG(PNGEncoder.encode(image))
        #expect(decoded.chunkTypes == ["IHDR", "IDAT", "IEND"])
        #expect((decoded.width, decoded.height, decoded.bitDepth, decoded.colorType) == (3, 2, 8, 2))
        #expect(decoded.scanlines.count == 2 * (1 + 3 * 3))
        #expect(decoded.pixel(0, 0) == RGB(10, 20, 30))
        #expect(decoded.pixel(1, 1) == RGB(200, 20, 30))
        #expect(throws: PNGEncoder.EncodingError.self) { _ = try PNGEncoder.encode(RasterImage(width: 0, height: 1)) }
    }

    @Test("rasterizer fills rectangles, polygons, circles and lines where they are")
    func shapes() {
        var figure = Figure(width: 40, height: 30, title: "t")
        figure.add(.rect(x: 2, y: 2, width: 10, height: 5, fill: Palette.blue))
        figure.add(.polygon([Point(20, 2), Point(38, 2), Point(38, 12)], fill: Palette.orange))
        figure.add(.circle(center: Point(8, 20), radius: 5, fill: Palette.bluishGreen))
        figure.add(.line([Point(20, 25), Point(38, 25)], color: Palette.vermillion, width: 2))
        let image = Rasterizer.render(figure)
        #expect(image.pixel(5, 4) == Palette.blue)        // inside the rectangle
        #expect(image.pixel(13, 4) == .white)             // right of it
        #expect(image.pixel(36, 4) == Palette.orange)     // inside the triangle
        #expect(image.pixel(22, 10) == .white)            // below its diagonal
        #expect(image.pixel(8, 20) == Palette.bluishGreen)
        #expect(image.pixel(8, 27) == .white)
        #expect(image.pixel(30, 24) == Palette.vermillion) // the 2-px line covers rows 24 and 25
        #expect(image.pixel(30, 25) == Palette.vermillion)
        #expect(image.pixel(30, 22) == .white)
        // Edge pixels are blended (anti-aliasing): half-covered pixel of a rect at x = 2.5.
        var half = Figure(width: 4, height: 1, title: "h")
        half.add(.rect(x: 0, y: 0, width: 1.5, height: 1, fill: .black))
        let blended = Rasterizer.render(half, supersampling: 2).pixel(1, 0)
        #expect(blended == RGB(128, 128, 128))
    }

    @Test("dashed lines leave gaps; text draws glyph pixels at the baseline, rotated text too")
    func dashesAndText() {
        var figure = Figure(width: 60, height: 40, title: "t")
        figure.add(.line([Point(0, 5), Point(60, 5)], color: .black, width: 2, dash: [10, 10]))
        figure.add(.text("I", at: Point(10, 30), size: 10, color: .black))
        let image = Rasterizer.render(figure)
        #expect(image.pixel(5, 4) == .black)   // first dash
        #expect(image.pixel(15, 4) == .white)  // first gap
        #expect(image.pixel(25, 4) == .black)  // second dash
        // "I" is ".###." in its first row: columns 1–3 of the glyph, each 1 px at size 10; rows 23..29.
        #expect(image.pixel(12, 23) == .black)
        #expect(image.pixel(10, 23) == .white)
        #expect(image.pixel(12, 26) == .black)  // the stem (column 2)
        #expect(image.pixel(11, 26) == .white)
        #expect(image.pixel(12, 31) == .white)  // below the baseline
        var rotated = Figure(width: 40, height: 40, title: "r")
        rotated.add(.text("-", at: Point(20, 30), size: 10, color: .black, rotation: -90))
        // "-" is row 3 (4 units above the baseline), columns 0–4; rotated by −90° it becomes a vertical bar at x = 16.
        let r = Rasterizer.render(rotated)
        #expect(r.pixel(16, 27) == .black)
        #expect(r.pixel(16, 31) == .black || r.pixel(16, 26) == .black)
        #expect(r.pixel(22, 27) == .white)
    }

    @Test("every printable ASCII character has its own glyph")
    func fontCoverage() {
        var seen = Set<[UInt8]>()
        for code in 33...126 {
            let rows = BitmapFont.rows(of: Character(Unicode.Scalar(UInt8(code))))
            #expect(rows != BitmapFont.missing, "no glyph for \(Unicode.Scalar(UInt8(code)))")
            #expect(rows.count == 7 || rows.count == 9)
            #expect(rows.allSatisfy { $0 < 32 })
            seen.insert(rows)
        }
        #expect(seen.count == 94)
        #expect(BitmapFont.rows(of: "€") == BitmapFont.missing)
    }

    @Test("the standard plots of a sample run rasterize to decodable PNGs of the figure size")
    func runPlots() throws {
        let history = (0..<3).map { SampleRun.record(epoch: $0, epochs: 3) }
        for (name, figure) in RunPlots.figures(history: history) {
            let decoded = try DecodedPNG(PNGEncoder.encode(Rasterizer.render(figure, supersampling: 1)))
            #expect(decoded.width == figure.width && decoded.height == figure.height, "\(name)")
            #expect(decoded.scanlines.count == figure.height * (1 + figure.width * 3))
        }
    }
}
