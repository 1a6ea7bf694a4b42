//! SSD anchor grids as MediaPipe's `SsdAnchorsCalculator` lays them out for BlazeFace
//! (fixed anchor size, offset 0.5, layers of equal stride merged into one grid).

/// Anchor centres in normalised [0, 1] input coordinates.
pub fn generate(input_size: u32, strides: &[u32], anchors_per_layer: usize) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    let mut layer = 0;
    while layer < strides.len() {
        let stride = strides[layer];
        // Consecutive layers with the same stride share one grid with their anchors together.
        let mut repeats = 0;
        while layer < strides.len() && strides[layer] == stride {
            repeats += 1;
            layer += 1;
        }
        let cells = input_size.div_ceil(stride) as usize;
        for y in 0..cells {
            for x in 0..cells {
                let c = ((x as f32 + 0.5) / cells as f32, (y as f32 + 0.5) / cells as f32);
                for _ in 0..repeats * anchors_per_layer {
                    out.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn anchor_counts_match_the_models() {
        assert_eq!(super::generate(192, &[4], 1).len(), 2304);
        assert_eq!(super::generate(128, &[8, 16, 16, 16], 2).len(), 896);
    }
}
