//! Named MediaPipe face-mesh indices. "Right" and "left" are the subject's own.

/// Eye corners and lids: (outer corner, inner corner, upper lid, lower lid).
pub const RIGHT_EYE: [usize; 4] = [33, 133, 159, 145];
pub const LEFT_EYE: [usize; 4] = [263, 362, 386, 374];
/// Mouth corners (right, left) and inner lips (upper, lower).
pub const MOUTH_CORNERS: [usize; 2] = [61, 291];
pub const INNER_LIPS: [usize; 2] = [13, 14];
pub const NOSE_TIP: usize = 1;
/// Between the eyes, on the nasal bridge (close to the soft-tissue nasion).
pub const NASION: usize = 168;
pub const CHIN: usize = 152;
pub const FOREHEAD_TOP: usize = 10;
/// Pairs (subject's right, subject's left) that mirror each other across the face's midline.
pub const SYMMETRIC_PAIRS: [(usize, usize); 4] = [(33, 263), (133, 362), (61, 291), (234, 454)];
/// The face outline ("silhouette"), clockwise from the forehead.
pub const FACE_OVAL: [usize; 36] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176,
    149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];
/// The inner lip contour, upper lip left to right then lower lip right to left.
pub const INNER_LIP_CONTOUR: [usize; 20] =
    [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];
/// The outer lip contour, upper lip right to left then lower lip left to right: lips, teeth and
/// the mouth's interior all lie inside it, whatever the inner contour does.
pub const OUTER_LIP_CONTOUR: [usize; 20] =
    [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146];
