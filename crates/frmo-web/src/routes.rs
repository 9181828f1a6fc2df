//! The cabinet's routes: every context declares its own table (`ROUTES` in its `mod.rs`) in which
//! each route names the [`Action`] it needs; [`CABINET`] lists the tables. The router and the
//! authorization matrix test are built from them, and one layer ([`guard`]) asks the registry
//! before any handler runs whether the viewer may do the route's action on what its path names —
//! so a refused upload is refused before its body is read. Handlers call use cases that check
//! again; the registry decides both times, the same way.

use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use frmo_domain::access::Action;
use frmo_registry::RegistryError;
use frmo_registry::identity::route::RouteTarget;

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::identity::session::{AuthorizedCaller, Viewer};
use crate::limits::ResolvedSession;

/// A route and the access it needs.
pub struct RouteSpec {
    pub method: &'static str,
    /// The path: `{oid}` is an organization, `{id}` (without `{oid}`) a change request, whose
    /// organization is the target; a route naming neither asks its action at all.
    pub path: &'static str,
    pub action: Action,
    /// `true` for the JSON API (errors as JSON).
    pub api: bool,
    /// Only the author of the request in `{id}` may, on top of `action`.
    pub author_only: bool,
    pub handler: fn() -> MethodRouter<AppState>,
}

/// A route of the cabinet's pages.
pub const fn page(
    method: &'static str,
    path: &'static str,
    action: Action,
    handler: fn() -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, action, api: false, author_only: false, handler }
}

/// A route of the signed-in JSON API.
pub const fn api(
    method: &'static str,
    path: &'static str,
    action: Action,
    handler: fn() -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, action, api: true, author_only: false, handler }
}

/// A route on a request (`{id}`) that only its author may use.
pub const fn author_page(
    method: &'static str,
    path: &'static str,
    action: Action,
    handler: fn() -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, action, api: false, author_only: true, handler }
}

/// The cabinet's route tables, one per context.
pub const CABINET: &[&[RouteSpec]] = &[
    crate::identity::ROUTES,
    crate::register::ROUTES,
    crate::moderation::ROUTES,
    crate::documents::ROUTES,
    crate::workers::ROUTES,
    crate::reports::ROUTES,
    crate::support::ROUTES,
    crate::integration::ROUTES,
];

/// Every route of the cabinet, table after table.
pub fn cabinet() -> impl Iterator<Item = &'static RouteSpec> {
    CABINET.iter().flat_map(|table| table.iter())
}

/// The cabinet's routes, each behind its [`guard`]; their answers carry personal data or a form
/// token and are stored nowhere.
pub fn router(state: &AppState) -> Router<AppState> {
    cabinet()
        .fold(Router::new(), |router, spec| {
            let guarded =
                (spec.handler)().route_layer(axum::middleware::from_fn_with_state((state.clone(), spec), guard));
            router.route(spec.path, guarded)
        })
        .layer(axum::middleware::map_response(crate::frame::never_stored))
}

/// What the path of `spec` names, from the request's path parameters (`None` when they cannot be
/// read: the handler then answers the request as it would anyway).
fn target<'a>(spec: &RouteSpec, params: &'a [(String, String)]) -> Option<RouteTarget<'a>> {
    let param = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if spec.path.contains("{oid}") {
        param("oid").map(RouteTarget::Organization)
    } else if spec.path.contains("{id}") {
        let id = param("id")?.parse().ok()?;
        Some(RouteTarget::Request { id, author_only: spec.author_only })
    } else {
        Some(RouteTarget::None)
    }
}

/// The layer of every cabinet route: the viewer's session, the target from the path, and the
/// registry's decision on the route's action. A refusal is answered (and journaled, once) here as
/// the handler would answer it: the error page, or the API's JSON error; the anonymous are asked
/// to sign in. A target that does not exist, or a path that does not parse, is left to the
/// handler. The session found is handed on, so the handler's `Viewer` does not look it up again,
/// and so is the caller the registry authorized: it carries the decision (and the organization's
/// region), so the use case behind the route does not read the region a second time.
pub(crate) async fn guard(
    State((state, spec)): State<(AppState, &'static RouteSpec)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let viewer = match Viewer::from_request_parts(&mut parts, &state).await {
        Ok(viewer) => viewer,
        Err(error) if spec.api => return ApiError::from(error).into_response(),
        Err(error) => return error.into_response(),
    };
    let params = Path::<Vec<(String, String)>>::from_request_parts(&mut parts, &state).await.map(|Path(p)| p);
    if let Some(on) = params.as_deref().ok().and_then(|params| target(spec, params)) {
        match state.registry.authorize_route(&viewer.caller, spec.action, on).await {
            Ok(caller) => {
                parts.extensions.insert(AuthorizedCaller(caller));
            }
            Err(refusal @ RegistryError::Forbidden(_)) => {
                return if spec.api {
                    ApiError::from(refusal).into_response()
                } else {
                    PageError::from(refusal).into_response()
                };
            }
            Err(_) => {}
        }
    }
    parts.extensions.insert(ResolvedSession(viewer.session));
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn spec(path: &'static str) -> &'static RouteSpec {
        cabinet().find(|spec| spec.path == path).expect("a route of the cabinet")
    }

    #[test]
    fn the_target_is_the_organization_then_the_request_then_nothing() {
        let oid = "1.2.643.5.1.13.13.12.2.78.6258";
        let on_worker = params(&[("oid", oid), ("id", "7")]);
        assert_eq!(
            target(spec("/cabinet/organizations/{oid}/workers/{id}"), &on_worker),
            Some(RouteTarget::Organization(oid))
        );
        assert_eq!(
            target(spec("/cabinet/requests/{id}/withdraw"), &params(&[("id", "12")])),
            Some(RouteTarget::Request { id: 12, author_only: true })
        );
        assert_eq!(
            target(spec("/cabinet/requests/{id}"), &params(&[("id", "12")])),
            Some(RouteTarget::Request { id: 12, author_only: false })
        );
        // Not a number: the handler answers it as it always did.
        assert_eq!(target(spec("/cabinet/requests/{id}"), &params(&[("id", "ИЗ-1")])), None);
        assert_eq!(target(spec("/cabinet/jobs/{job}"), &params(&[("job", "3")])), Some(RouteTarget::None));
    }

    #[test]
    fn every_route_is_the_cabinets_and_names_its_target_plainly() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in cabinet() {
            assert!(seen.insert((spec.method, spec.path)), "declared twice: {} {}", spec.method, spec.path);
            assert!(
                spec.path.starts_with("/cabinet") || spec.path.starts_with("/api/v1/"),
                "{}: cabinet routes live under /cabinet or the API",
                spec.path
            );
            assert_eq!(spec.api, spec.path.starts_with("/api/"), "{}: the API's routes answer JSON", spec.path);
            // `{id}` without `{oid}` is a change request: the guard takes its organization.
            if spec.path.contains("{id}") && !spec.path.contains("{oid}") {
                assert!(spec.path.starts_with("/cabinet/requests/{id}"), "{}: `{{id}}` names a request", spec.path);
            }
            assert!(!spec.author_only || spec.path.contains("{id}"), "{}: only a request has an author", spec.path);
        }
    }
}
