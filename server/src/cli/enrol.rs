//! Templates for a batch of photos: each distinct file is decoded and analysed once, in parallel,
//! and every requested recognition model embeds the same analysis.

use super::files::{self, ErrorBody};
use super::{GlobalArgs, setup};
use rayon::prelude::*;
use sapa_engine::models::locate_models_dir;
use sapa_engine::recognition::usability::{self, Usability};
use sapa_engine::recognition::{ColourOrder, RecognitionConfig, RecognitionError, RecognitionModel};
use sapa_engine::runtime::Backend;
use sapa_engine::{Analyzer, AnalyzerConfig, Recognizer, Template};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The analyzer, the recognizers and the thresholds.
pub struct Enroller {
    pub analyzer: Analyzer,
    pub recognizers: Vec<Recognizer>,
    pub config: RecognitionConfig,
}

/// One photo's templates (one per recognizer, same order), and the time each embedding took.
pub type PhotoTemplates = Vec<(Result<Template, ErrorBody>, Duration)>;

impl Enroller {
    pub fn load(
        global: &GlobalArgs,
        models: &[RecognitionModel],
        order: Option<ColourOrder>,
    ) -> anyhow::Result<Self> {
        let dir = locate_models_dir(global.models.as_deref())?;
        let backend = Backend::new(super::backend::options(global.backend)?)?;
        let analyzer = setup::analyzer(global, AnalyzerConfig::default())?;
        let recognizers = models
            .iter()
            .map(|&m| {
                let r = Recognizer::load(&dir, m, &backend)?;
                Ok(match order {
                    Some(o) => r.with_colour_order(o),
                    None => r,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { analyzer, recognizers, config: RecognitionConfig::load(&dir)? })
    }

    /// Templates of one photo with every recognizer.
    pub fn photo(&self, path: &Path) -> PhotoTemplates {
        self.assessed(path).0
    }

    /// Templates of one photo given as bytes; `path` only names it in error messages.
    pub fn photo_bytes(&self, bytes: &[u8], path: &Path) -> PhotoTemplates {
        self.assessed_bytes(bytes, path).0
    }

    /// Templates of one photo, and how usable its main face is for deciding a comparison
    /// (`None` when no template could be made).
    pub fn assessed_bytes(&self, bytes: &[u8], path: &Path) -> (PhotoTemplates, Option<Usability>) {
        let fail = |e: ErrorBody| self.failed(&e);
        let decoded = match self.analyzer.decode(bytes) {
            Ok(d) => d,
            Err(e) => return fail(ErrorBody::from(&e)),
        };
        let analysis = match self.analyzer.analyze(&decoded.rgb, decoded.source) {
            Ok(a) => a,
            Err(e) => return fail(ErrorBody::from(&e)),
        };
        let templates = self
            .recognizers
            .iter()
            .map(|r| {
                let start = Instant::now();
                let t =
                    r.template_of_main_face(&decoded.rgb, &analysis).map_err(|e| recognition_error(&e, path));
                (t, start.elapsed())
            })
            .collect();
        let usability =
            analysis.main_face().map(|face| usability::assess(&decoded.rgb, face, &self.config.usability));
        (templates, usability)
    }

    /// [`Self::assessed_bytes`] of a file.
    pub fn assessed(&self, path: &Path) -> (PhotoTemplates, Option<Usability>) {
        match files::read(path) {
            Ok(bytes) => self.assessed_bytes(&bytes, path),
            Err(e) => self.failed(&e),
        }
    }

    /// The same error for every recognizer, and no usability.
    fn failed(&self, e: &ErrorBody) -> (PhotoTemplates, Option<Usability>) {
        let t = self
            .recognizers
            .iter()
            .map(|_| (Err(ErrorBody::new(e.code, e.message.clone())), Duration::ZERO))
            .collect();
        (t, None)
    }

    /// Templates of every distinct path, computed once each, in parallel.
    pub fn photos(&self, paths: &[PathBuf]) -> HashMap<PathBuf, PhotoTemplates> {
        self.photos_assessed(paths).into_iter().map(|(p, (t, _))| (p, t)).collect()
    }

    /// [`Self::assessed`] of every distinct path, in parallel.
    pub fn photos_assessed(
        &self,
        paths: &[PathBuf],
    ) -> HashMap<PathBuf, (PhotoTemplates, Option<Usability>)> {
        let distinct: Vec<&PathBuf> = paths.iter().collect::<BTreeSet<_>>().into_iter().collect();
        distinct.par_iter().map(|p| ((*p).clone(), self.assessed(p))).collect()
    }
}

/// The thresholds and default model from the models directory.
pub fn config(global: &GlobalArgs) -> anyhow::Result<RecognitionConfig> {
    let dir = locate_models_dir(global.models.as_deref())?;
    Ok(RecognitionConfig::load(&dir)?)
}

/// A recognition error as a JSON error body, naming the file where that helps.
pub fn recognition_error(e: &RecognitionError, path: &Path) -> ErrorBody {
    let message = match e {
        RecognitionError::NoFace => format!("no face found in {}", path.display()),
        other => other.to_string(),
    };
    ErrorBody::new(e.into(), message)
}
