//! A 4-connected flood fill over a pixel grid, for the region measures (person components,
//! plain-background regions) that grow from seeds.

/// Grows a region on a `w`×`h` grid (row-major indices) from the `seeds`: a 4-connected
/// neighbour `j` of a region pixel `i` joins when `join(i, j)` says so. `join` must also mark
/// `j` as taken (so it answers false the next time), which is what keeps the fill finite.
/// Returns how many pixels the fill visited (the seeds included).
pub fn flood(w: usize, h: usize, mut seeds: Vec<usize>, mut join: impl FnMut(usize, usize) -> bool) -> usize {
    let mut visited = 0;
    while let Some(i) = seeds.pop() {
        visited += 1;
        let (x, y) = (i % w, i / w);
        let mut grow = |j: usize| {
            if join(i, j) {
                seeds.push(j);
            }
        };
        if x > 0 {
            grow(i - 1);
        }
        if x + 1 < w {
            grow(i + 1);
        }
        if y > 0 {
            grow(i - w);
        }
        if y + 1 < h {
            grow(i + w);
        }
    }
    visited
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_one_four_connected_region_and_no_more() {
        // 4x3 grid; 1 = open. The diagonal pixel (3,2) touches the region only by a corner.
        #[rustfmt::skip]
        let open = [
            1, 1, 0, 0,
            0, 1, 0, 0,
            0, 1, 0, 1,
        ];
        let mut taken = [false; 12];
        taken[0] = true;
        let n = flood(4, 3, vec![0], |_, j| {
            let joins = open[j] == 1 && !taken[j];
            taken[j] |= joins;
            joins
        });
        assert_eq!(n, 4);
        assert_eq!(taken.iter().filter(|t| **t).count(), 4);
        assert!(!taken[11], "corner contact is not 4-connected");
    }
}
