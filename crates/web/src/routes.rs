//! Every route of the web layer is added through [`Routes`], which writes down its method and
//! path as it adds it. [`crate::route_table`] is therefore the list of what the router serves,
//! and the authorization matrix (`tests/api/authorization`) walks that list: a route added
//! without saying who may reach it fails that test. (axum's `Router` cannot list its routes.)

use axum::Router;
use axum::handler::Handler;
use axum::routing::MethodRouter;

/// One route: a method and a path pattern as axum matches it (`/employees/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    pub method: &'static str,
    pub path: String,
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A router together with the list of its routes.
pub struct Routes<S = crate::AppState> {
    router: Router<S>,
    table: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add("GET", path, axum::routing::get(handler))
    }

    pub fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add("POST", path, axum::routing::post(handler))
    }

    /// As [`Routes::post`], with a request body limit of its own (an upload larger than the
    /// application's [`crate::BODY_LIMIT`]).
    pub fn post_with_body_limit<H, T>(self, path: &str, handler: H, limit: usize) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let method_router =
            axum::routing::post(handler).layer(axum::extract::DefaultBodyLimit::max(limit));
        self.add("POST", path, method_router)
    }

    /// axum merges the method routers of one path, so `get` and `post` may name the same path.
    fn add(mut self, method: &'static str, path: &str, method_router: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, method_router);
        self.table.push(Route {
            method,
            path: path.to_owned(),
        });
        self
    }

    /// A router made elsewhere (a crate's, or utoipa-axum's), with the routes it serves.
    pub fn from_router(router: Router<S>, routes: impl IntoIterator<Item = Route>) -> Self {
        Routes {
            router,
            table: routes.into_iter().collect(),
        }
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn nest(mut self, prefix: &str, other: Routes<S>) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.table
            .extend(other.table.into_iter().map(|route| Route {
                method: route.method,
                path: format!("{prefix}{}", route.path),
            }));
        self
    }

    /// Changes the router without adding routes: layers, fallbacks.
    pub fn map_router(mut self, change: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = change(self.router);
        self
    }

    pub fn into_parts(self) -> (Router<S>, Vec<Route>) {
        (self.router, self.table)
    }
}
