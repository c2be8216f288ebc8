//! EXIF orientation 1–8 applied to an RGBA8 buffer.
//!
//! Mirrors and the half turn (2, 3, 4) work in place; the four orientations that swap the axes
//! (5–8) need a second buffer and walk it in square tiles, so both the rows read and the rows
//! written stay in cache (a naive column-order walk of a 12 MP photo misses cache on every
//! pixel).
//!
//! Mapping from the displayed pixel (x, y) to the stored pixel, with the stored image `w × h`:
//!
//! | value | meaning              | stored pixel shown at (x, y) |
//! |-------|----------------------|------------------------------|
//! | 1     | upright              | (x, y)                       |
//! | 2     | mirrored             | (w−1−x, y)                   |
//! | 3     | half turn            | (w−1−x, h−1−y)               |
//! | 4     | flipped              | (x, h−1−y)                   |
//! | 5     | transposed           | (y, x)                       |
//! | 6     | turn right (90° CW)  | (y, h−1−x)                   |
//! | 7     | transversed          | (w−1−y, h−1−x)               |
//! | 8     | turn left (90° CCW)  | (w−1−y, x)                   |

/// True for the orientations whose upright image is the stored one with width and height
/// swapped.
pub(crate) fn swaps_axes(orientation: u8) -> bool {
    matches!(orientation, 5..=8)
}

/// Returns the upright image and its size.
pub(crate) fn apply(mut rgba: Vec<u8>, w: u32, h: u32, orientation: u8) -> (Vec<u8>, u32, u32) {
    let (wu, hu) = (w as usize, h as usize);
    match orientation {
        2 => {
            for row in rgba.chunks_exact_mut(wu * 4) {
                row.as_chunks_mut::<4>().0.reverse();
            }
            (rgba, w, h)
        }
        3 => {
            // Reversing the whole pixel sequence is the half turn.
            rgba.as_chunks_mut::<4>().0.reverse();
            (rgba, w, h)
        }
        4 => {
            let stride = wu * 4;
            for y in 0..hu / 2 {
                let (top, bottom) = rgba.split_at_mut((hu - 1 - y) * stride);
                top[y * stride..(y + 1) * stride].swap_with_slice(&mut bottom[..stride]);
            }
            (rgba, w, h)
        }
        5..=8 => (transpose_like(&rgba, wu, hu, orientation), h, w),
        _ => (rgba, w, h),
    }
}

/// Orientations 5–8: the output is `h × w`; output pixel (x, y) comes from the stored pixel in
/// the table above.
fn transpose_like(src: &[u8], w: usize, h: usize, orientation: u8) -> Vec<u8> {
    const TILE: usize = 32;
    let (ow, oh) = (h, w);
    let mut out = vec![0u8; src.len()];
    let (sp, _) = src.as_chunks::<4>();
    let (op, _) = out.as_chunks_mut::<4>();
    for ty in (0..oh).step_by(TILE) {
        for tx in (0..ow).step_by(TILE) {
            for y in ty..(ty + TILE).min(oh) {
                for x in tx..(tx + TILE).min(ow) {
                    let (sx, sy) = match orientation {
                        5 => (y, x),
                        6 => (y, h - 1 - x),
                        7 => (w - 1 - y, h - 1 - x),
                        _ => (w - 1 - y, x),
                    };
                    op[y * ow + x] = sp[sy * w + sx];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 image whose pixels are numbered 0..6 in their red byte.
    fn numbered() -> Vec<u8> {
        (0..6u8).flat_map(|i| [i, 0, 0, 255]).collect()
    }

    fn reds(v: &[u8]) -> Vec<u8> {
        v.chunks_exact(4).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_maps_as_the_table_says() {
        // Stored:  0 1 2
        //          3 4 5
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (o, size, expected) in cases {
            let (out, w, h) = apply(numbered(), 3, 2, o);
            assert_eq!((w, h), size, "orientation {o}");
            assert_eq!(reds(&out), expected, "orientation {o}");
        }
    }

    #[test]
    fn large_odd_sizes_cross_tile_edges() {
        let (w, h) = (67usize, 45usize);
        let src: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i % 251) as u8, (i / 251) as u8, 0, 255])
            .collect();
        let (out, ow, oh) = apply(src.clone(), w as u32, h as u32, 6);
        assert_eq!((ow, oh), (45, 67));
        // Rotating right four times is the identity.
        let (out, ..) = apply(out, ow, oh, 6);
        let (out, ..) = apply(out, 67, 45, 6);
        let (out, ..) = apply(out, 45, 67, 6);
        assert_eq!(out, src);
    }
}
