//! Services: the list on the swarm and stack pages (sorted, filtered and paged on the
//! server, the choice kept in the URL), and each service's own page ([`page`]).

pub mod logs;
pub mod page;

use flotilla_stack::{ServicePage, ServiceQuery, ServiceRow, SortKey};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::{use_navigate, use_query_map};

pub use page::ServicePage as ServicePageView;

use crate::components::Loading;
use crate::error::AppError;

#[server(endpoint = "services/list", input = Json)]
pub async fn list_services(swarm: String, query: ServiceQuery) -> Result<ServicePage, AppError> {
    let caller = crate::auth::ssr::authorize::<ListServices>().await?;
    Ok(caller.fleet.services(&swarm, &query).await?)
}

/// The list's choices, read from the URL (`?q=…&sort=…&desc=1&page=…`).
fn query_from_url(stack: Option<String>) -> impl Fn() -> ServiceQuery + Copy + Send + Sync {
    let params = use_query_map();
    let stack = StoredValue::new(stack);
    move || {
        let params = params.read();
        ServiceQuery {
            filter: params.get("q").unwrap_or_default(),
            stack: stack.get_value(),
            sort: params
                .get("sort")
                .and_then(|s| SortKey::parse(&s))
                .unwrap_or_default(),
            descending: params.get("desc").is_some_and(|d| d == "1"),
            page: params
                .get("page")
                .and_then(|p| p.parse::<usize>().ok())
                .map_or(0, |p| p.saturating_sub(1)),
        }
    }
}

/// The URL of the same page with `query` as its choices.
fn url_for(path: &str, query: &ServiceQuery) -> String {
    let mut parts = Vec::new();
    if !query.filter.is_empty() {
        parts.push(format!("q={}", crate::views::percent_encode(&query.filter)));
    }
    if query.sort != SortKey::Name {
        parts.push(format!("sort={}", query.sort.as_str()));
    }
    if query.descending {
        parts.push("desc=1".into());
    }
    if query.page > 0 {
        parts.push(format!("page={}", query.page + 1));
    }
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// The services of `swarm` (of `stack` alone, when given), a page at a time.
#[component]
pub fn ServicesPanel(
    swarm: String,
    #[prop(optional)] stack: Option<String>,
    /// The page this panel is on, for the URLs that keep its choices.
    path: String,
    changes: RwSignal<u32>,
) -> impl IntoView {
    let query = query_from_url(stack);
    let navigate = use_navigate();
    let swarm = StoredValue::new(swarm);
    let services = Resource::new(
        move || (changes.get(), query()),
        move |(_, query)| list_services(swarm.get_value(), query),
    );
    // Each listed service's CPU over the last hour, asked for in the browser once the list is
    // known: a resource keyed on another resource never settles during hydration.
    let sparklines = RwSignal::new(std::collections::BTreeMap::<String, String>::new());
    Effect::new(move |_| {
        let Some(names) = services
            .get()
            .and_then(Result::ok)
            .map(|page| page.rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
        else {
            return;
        };
        if names.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let dark = crate::pages::metrics::viewer().0;
            if let Ok(drawn) = crate::pages::metrics::cpu_sparklines(
                swarm.get_value(),
                "service".into(),
                names,
                dark,
            )
            .await
            {
                sparklines.set(drawn);
            }
        });
    });
    let path = StoredValue::new(path);
    let go = move |query: ServiceQuery| {
        navigate(&url_for(&path.get_value(), &query), Default::default());
    };
    let go = StoredValue::new(go);
    let sort_by = move |key: SortKey| {
        let mut next = query();
        next.descending = next.sort == key && !next.descending;
        next.sort = key;
        next.page = 0;
        go.with_value(|go| go(next));
    };
    let header = move |key: SortKey, label: &'static str| {
        view! {
            <button class="link sort" data-sort=key.as_str() on:click=move |_| sort_by(key)>
                {label}
                {move || (query().sort == key).then(|| if query().descending { " ▼" } else { " ▲" })}
            </button>
        }
    };
    view! {
        <h2>"Services"</h2>
        <div class="toolbar">
            <input type="search" id="service-filter" placeholder="Filter by name, stack, image or update state"
                prop:value=move || query().filter
                on:change=move |ev| {
                    let mut next = query();
                    next.filter = event_target_value(&ev);
                    next.page = 0;
                    go.with_value(|go| go(next));
                }/>
        </div>
        <Loading>
            {move || Suspend::new(async move {
                let page = services.await?;
                Ok::<_, AppError>(view! {
                    <table class="data" id="services" data-total=page.total.to_string()>
                        <thead><tr>
                            <th>{header(SortKey::Name, "Service")}</th>
                            <th>{header(SortKey::Stack, "Stack")}</th>
                            <th>{header(SortKey::Mode, "Mode")}</th>
                            <th>{header(SortKey::Running, "Running")}</th>
                            <th>{header(SortKey::Image, "Image")}</th>
                            <th>"Ports"</th>
                            <th>"Update"</th>
                            <th>{header(SortKey::Updated, "Updated")}</th>
                            <th>"CPU, last hour"</th>
                        </tr></thead>
                        <tbody>
                            {page.rows.into_iter().map(|row| view! { <ServiceLine row swarm=swarm.get_value() sparklines/> }).collect_view()}
                        </tbody>
                    </table>
                    <Pager page=page.page pages=page.pages total=page.total
                        go=move |n| { let mut next = query(); next.page = n; go.with_value(|go| go(next)); }/>
                })
            })}
        </Loading>
    }
}

#[component]
fn Pager(
    page: usize,
    pages: usize,
    total: usize,
    go: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <p class="actions pager">
                <button class="secondary" id="page-previous" disabled=page == 0 on:click=move |_| go(page.saturating_sub(1))>"Previous"</button>
                <span id="page-of">{format!("Page {} of {pages} ({total} services)", page + 1)}</span>
                <button class="secondary" id="page-next" disabled=page + 1 >= pages on:click=move |_| go(page + 1)>"Next"</button>
            </p>
        }
    })
}

#[component]
fn ServiceLine(
    row: ServiceRow,
    swarm: String,
    sparklines: RwSignal<std::collections::BTreeMap<String, String>>,
) -> impl IntoView {
    let href = format!("/swarms/{swarm}/services/{}", row.name);
    let name = row.name.clone();
    let sparkline = move || sparklines.with(|lines| lines.get(&name).cloned().unwrap_or_default());
    let update = row.update.clone();
    view! {
        <tr class="service-row" data-service=row.name.clone() data-running=row.running.to_string()
            data-desired=row.desired.to_string()>
            <td><a href=href>{row.name.clone()}</a></td>
            <td>{row.stack.clone().unwrap_or_default()}</td>
            <td>{row.mode.clone()}</td>
            <td class="running">{format!("{}/{}", row.running, row.desired)}</td>
            <td class="image" title=row.digest.clone().unwrap_or_default()>{row.image.clone()}</td>
            <td>{row.ports.join(", ")}</td>
            <td class="update" data-state=update.as_ref().map(|u| u.state.clone()) title=update.as_ref().map(|u| u.message.clone())>
                {update.as_ref().map(|u| u.label())}
            </td>
            <td>{row.updated_at.chars().take(19).collect::<String>().replace('T', " ")}</td>
            <td class="sparkline" inner_html=sparkline></td>
        </tr>
    }
}
