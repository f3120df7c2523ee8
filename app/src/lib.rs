//! What the operator sees: the shell, the routes and the pages, with the server functions
//! each page calls living beside it.

#[cfg(feature = "ssr")]
pub mod access;
pub mod auth;
mod components;
pub mod error;
mod live_stream;
#[cfg(feature = "ssr")]
pub mod login_limiter;
pub mod overview;
mod pages;

/// The server hands its generated OpenAPI document to the reference page through this.
#[cfg(feature = "ssr")]
pub use pages::api_docs::ApiDocument;
pub mod views;

#[cfg(feature = "ssr")]
pub use pages::stacks::audit_request;
#[cfg(feature = "ssr")]
pub use pages::visualizer::board_html;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <link rel="stylesheet" id="leptos" href=stylesheet_href(&options)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// `/pkg/flotilla.css`, or the hashed name the release build gave it (`css:` in the hash
/// file; the WASM and its loader are named from the same file by `HydrationScripts`).
fn stylesheet_href(options: &LeptosOptions) -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
        let hash = options
            .hash_files
            .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
            .flatten()
            .and_then(|text| {
                text.lines()
                    .find_map(|line| Some(line.trim().strip_prefix("css:")?.trim().to_owned()))
            });
        match hash {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        }
    })
    .clone()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Flotilla"/>
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Flotilla"</a>
                <span class="tagline">"a console for Docker Swarm"</span>
                <nav>
                    <a href="/">"Swarms"</a>
                    <a href="/hosts">"Hosts"</a>
                    <a href="/registries">"Registries"</a>
                    <a href="/users">"Users"</a>
                    <a href="/audit">"Audit log"</a>
                    <a href="/docs/api">"API"</a>
                    <pages::login::LogoutButton/>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="notice">"Page not found."</p> }>
                    <Route path=StaticSegment("") view=pages::swarms::SwarmsPage/>
                    <Route path=StaticSegment("hosts") view=pages::hosts::HostsPage/>
                    <Route path=StaticSegment("registries") view=pages::registries::RegistriesPage/>
                    <Route path=(StaticSegment("swarms"), StaticSegment("new")) view=pages::create_swarm::CreateSwarmPage/>
                    <Route path=(StaticSegment("swarms"), ParamSegment("swarm")) view=pages::swarm::SwarmPage/>
                    <Route path=(StaticSegment("swarms"), ParamSegment("swarm"), StaticSegment("stacks"), StaticSegment("new")) view=pages::stacks::NewStackPage/>
                    <Route path=(StaticSegment("swarms"), ParamSegment("swarm"), StaticSegment("stacks"), ParamSegment("stack")) view=pages::stacks::StackPage/>
                    <Route path=(StaticSegment("swarms"), ParamSegment("swarm"), StaticSegment("services"), ParamSegment("service")) view=pages::services::ServicePageView/>
                    <Route path=(StaticSegment("swarms"), ParamSegment("swarm"), StaticSegment("nodes"), ParamSegment("node")) view=pages::nodes::NodePage/>
                    <Route path=StaticSegment("login") view=pages::login::LoginPage/>
                    <Route path=StaticSegment("audit") view=pages::audit::AuditPage/>
                    <Route path=(StaticSegment("docs"), StaticSegment("api")) view=pages::api_docs::ApiReferencePage/>
                    <Route path=StaticSegment("users") view=pages::users::UsersPage/>
                    <Route path=StaticSegment("setup") view=pages::login::SetupPage/>
                </Routes>
            </main>
        </Router>
    }
}
