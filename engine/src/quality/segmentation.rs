//! Person segmentation with MediaPipe's selfie model: separates the person (hair and clothes
//! included) from the background, so background checks never judge the face, and the crown of the
//! head can be found above the hairline.

use crate::error::Result;
use crate::image::resize::resize;
use crate::runtime::Model;
use crate::tensor::nhwc;
use image::RgbImage;
use std::sync::Arc;

pub const SIZE: u32 = 256;

/// A person-probability map over the whole frame, at `SIZE` x `SIZE`, with the frame it saw.
pub struct PersonMask {
    /// Row-major probabilities in [0, 1].
    pub prob: Vec<f32>,
    /// The frame resized to `SIZE` x `SIZE` (the background checks read its pixels).
    pub small: RgbImage,
    /// Source frame size.
    pub width: u32,
    pub height: u32,
}

impl PersonMask {
    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.prob[(y * SIZE + x) as usize]
    }

    /// Share of the box (source pixels, clipped to the frame) that the person mask covers.
    pub fn coverage(&self, x: f32, y: f32, w: f32, h: f32) -> f32 {
        let (sx, sy) = (SIZE as f32 / self.width as f32, SIZE as f32 / self.height as f32);
        let c0 = ((x * sx).floor().max(0.0) as u32).min(SIZE);
        let c1 = (((x + w) * sx).ceil().max(0.0) as u32).min(SIZE);
        let r0 = ((y * sy).floor().max(0.0) as u32).min(SIZE);
        let r1 = (((y + h) * sy).ceil().max(0.0) as u32).min(SIZE);
        let (mut hit, mut n) = (0u32, 0u32);
        for yy in r0..r1 {
            for xx in c0..c1 {
                n += 1;
                if self.at(xx, yy) > 0.5 {
                    hit += 1;
                }
            }
        }
        if n == 0 { 0.0 } else { hit as f32 / n as f32 }
    }

    /// Topmost source row where the person covers columns `x0..x1` (source pixels), i.e. the
    /// crown of the head including hair. `None` when no person pixel is there.
    pub fn crown_y(&self, x0: f32, x1: f32) -> Option<f32> {
        let sx = SIZE as f32 / self.width as f32;
        let c0 = ((x0 * sx).floor().max(0.0) as u32).min(SIZE - 1);
        let c1 = ((x1 * sx).ceil().max(0.0) as u32).clamp(c0 + 1, SIZE);
        for y in 0..SIZE {
            let hits = (c0..c1).filter(|&x| self.at(x, y) > 0.5).count();
            if hits * 3 >= (c1 - c0) as usize {
                return Some(y as f32 * self.height as f32 / SIZE as f32);
            }
        }
        None
    }
}

impl PersonMask {
    /// The largest person region not connected to the one holding the box (source pixels), as
    /// its area over the box's area: a second person whose face the detector cannot see (turned
    /// away, blurred, cut by the frame edge) is still a person to the segmentation.
    pub fn other_person_ratio(&self, x: f32, y: f32, w: f32, h: f32) -> f32 {
        let n = (SIZE * SIZE) as usize;
        let mut label = vec![0u32; n];
        let mut sizes = vec![0usize];
        for start in 0..n {
            if label[start] != 0 || self.prob[start] <= 0.5 {
                continue;
            }
            let id = sizes.len() as u32;
            label[start] = id;
            let size = crate::image::flood::flood(SIZE as usize, SIZE as usize, vec![start], |_, j| {
                let joins = label[j] == 0 && self.prob[j] > 0.5;
                if joins {
                    label[j] = id;
                }
                joins
            });
            sizes.push(size);
        }
        let (sx, sy) = (SIZE as f32 / self.width as f32, SIZE as f32 / self.height as f32);
        let c0 = ((x * sx).max(0.0) as u32).min(SIZE - 1);
        let c1 = (((x + w) * sx).max(0.0) as u32).clamp(c0 + 1, SIZE);
        let r0 = ((y * sy).max(0.0) as u32).min(SIZE - 1);
        let r1 = (((y + h) * sy).max(0.0) as u32).clamp(r0 + 1, SIZE);
        let mut inside = vec![0usize; sizes.len()];
        for yy in r0..r1 {
            for xx in c0..c1 {
                inside[label[(yy * SIZE + xx) as usize] as usize] += 1;
            }
        }
        let main = (1..sizes.len()).max_by_key(|&k| inside[k]).unwrap_or(0);
        let other = (1..sizes.len()).filter(|&k| k != main).map(|k| sizes[k]).max().unwrap_or(0);
        let box_px = (w * sx * h * sy).max(1.0);
        other as f32 / box_px
    }
}

pub struct Segmenter {
    model: Arc<dyn Model>,
}

impl Segmenter {
    pub const MODEL_ID: &'static str = "seg_selfie256";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    pub fn run(&self, img: &RgbImage) -> Result<PersonMask> {
        let small = resize(img, SIZE, SIZE)?;
        let out = self.model.run(nhwc(&small, 1.0 / 255.0, 0.0).view())?;
        let prob = out[0].iter().copied().collect();
        Ok(PersonMask { prob, small, width: img.width(), height: img.height() })
    }
}
