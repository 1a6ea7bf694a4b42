//! What every API route does around its handler, in one place (a `from_fn_with_state` layer):
//! authorise the key for the route's scope, drain the body of a request refused before its body
//! was read, and write the audit line. Handlers only extract, compute and answer; what they know
//! for the audit line (decision, profile, IIN hash, score) they return as [`AuditFacts`].

use super::audit::AuditEvent;
use super::auth::Scope;
use super::body::{self, Intake};
use super::state::AppState;
use crate::error_code::ErrorCode;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// The route a guard stands at: its audit name and the scope its key must carry.
#[derive(Clone)]
pub struct Guard {
    pub state: Arc<AppState>,
    pub route: &'static str,
    pub scope: Scope,
}

/// What a handler adds to its audit line, returned as a response part (the guard takes it out of
/// the response again; the client never sees it).
#[derive(Clone, Default)]
pub struct AuditFacts {
    pub decision: Option<&'static str>,
    pub failed: Vec<sapa_engine::validate::Code>,
    pub reasons: Vec<&'static str>,
    pub iin_hash: Option<String>,
    pub profile: Option<String>,
    pub score: Option<f32>,
}

impl IntoResponseParts for AuditFacts {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// The layer: authorise, run the handler on a body that drains itself if dropped unread, audit.
pub async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut event = AuditEvent { request_id: g.state.request_id(), route: g.route, ..Default::default() };
    let req = req.map(|b| Body::new(DrainOnDrop::new(b, g.state.intake())));
    let mut response = match g.state.keys.authorize(req.headers(), g.scope) {
        Ok(client) => {
            event.client = client.0;
            next.run(req).await
        }
        Err(e) => e.into_response(),
    };
    if let Some(facts) = response.extensions_mut().remove::<AuditFacts>() {
        event.decision = facts.decision;
        event.failed = facts.failed;
        event.reasons = facts.reasons;
        event.iin_hash = facts.iin_hash;
        event.profile = facts.profile;
        event.score = facts.score;
    }
    event.error = response.extensions().get::<ErrorCode>().copied();
    g.state.conclude(event, start, response)
}

/// A request body that, when dropped before its end (the request was refused before its body
/// was read: no key, a bad query, a full pool), reads and discards the rest in the background
/// within the intake's bounds, so the client, still sending, gets the answer instead of a reset
/// connection (a "lingering close", as nginx does). The bounds run from when the request came.
struct DrainOnDrop {
    body: Option<Body>,
    deadline: tokio::time::Instant,
    ended: bool,
}

impl DrainOnDrop {
    fn new(body: Body, intake: Intake) -> Self {
        let deadline = tokio::time::Instant::now() + intake.timeout.min(body::DRAIN_TIME);
        Self { body: Some(body), deadline, ended: false }
    }
}

impl HttpBody for DrainOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else { return Poll::Ready(None) };
        let polled = Pin::new(body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            this.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.body.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body.as_ref().map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let Some(body) = self.body.take().filter(|b| !b.is_end_stream()) else { return };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(body::drain_until(body, self.deadline));
        }
    }
}
