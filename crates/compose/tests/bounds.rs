//! Hostile files stay bounded: generated files built from port ranges, alias bombs, merge
//! keys and long variables are parsed (refused or not) without the parser's memory growing
//! past a fixed budget or the parse hanging. One plan of such a file once asked for 3.2 GB
//! and killed the console; another took 33 s of CPU.
//!
//! Memory is measured with a counting allocator (this test binary's own). The time check is
//! a hang guard of seconds, orders of magnitude above a normal parse, not a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flotilla_compose::{parse, Files, Variables};
use proptest::prelude::*;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one parse may hold at most above what was live before it.
const MEMORY_BUDGET: usize = 256 * 1024 * 1024;
/// A parse that takes this long is a hang, whatever the machine.
const HANG: Duration = Duration::from_secs(20);

/// One hostile ingredient.
#[derive(Debug, Clone)]
enum Hostile {
    /// Port ranges `start-end`, as many as given.
    Ranges(Vec<(u16, u16)>),
    /// An anchored list of `width` items, each level aliasing the previous one `width` times.
    AliasBomb { width: usize, depth: usize },
    /// A mapping of `keys` keys merged into a service `times` times.
    Merges { keys: usize, times: usize },
    /// `$A` written `repeats` times in one value, `A` being `size` bytes long.
    LongVariable { size: usize, repeats: usize },
}

fn hostile() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        prop::collection::vec((any::<u16>(), any::<u16>()), 1..40).prop_map(|pairs| {
            Hostile::Ranges(
                pairs
                    .into_iter()
                    .map(|(a, b)| (a.min(b), a.max(b)))
                    .collect(),
            )
        }),
        (2usize..12, 2usize..9).prop_map(|(width, depth)| Hostile::AliasBomb { width, depth }),
        (1usize..30_000, 1usize..50).prop_map(|(keys, times)| Hostile::Merges { keys, times }),
        (1usize..200_000, 1usize..100_000)
            .prop_map(|(size, repeats)| Hostile::LongVariable { size, repeats }),
    ]
}

/// The file and the variables it is parsed with.
fn render(hostile: &Hostile) -> (String, BTreeMap<String, String>) {
    let mut env = BTreeMap::new();
    let mut text = String::new();
    match hostile {
        Hostile::Ranges(ranges) => {
            text.push_str("services:\n  web:\n    image: nginx\n    ports:\n");
            for (start, end) in ranges {
                text.push_str(&format!("      - \"{start}-{end}\"\n"));
            }
        }
        Hostile::AliasBomb { width, depth } => {
            text.push_str("x-bomb:\n");
            text.push_str(&format!(
                "  l0: &l0 [{}]\n",
                vec!["\"lol\""; *width].join(", ")
            ));
            for level in 1..*depth {
                let refs = vec![format!("*l{}", level - 1); *width].join(", ");
                text.push_str(&format!("  l{level}: &l{level} [{refs}]\n"));
            }
            text.push_str(&format!(
                "services:\n  web:\n    image: nginx\n    command: *l{}\n",
                depth - 1
            ));
        }
        Hostile::Merges { keys, times } => {
            text.push_str("x-base: &base\n");
            for k in 0..*keys {
                text.push_str(&format!("  k{k}: v\n"));
            }
            text.push_str("services:\n  web:\n    image: nginx\n    labels:\n      <<: [");
            text.push_str(&vec!["*base"; *times].join(", "));
            text.push_str("]\n");
        }
        Hostile::LongVariable { size, repeats } => {
            env.insert("A".to_owned(), "x".repeat(*size));
            text.push_str("services:\n  web:\n    image: nginx\n    environment:\n      BIG: \"");
            text.push_str(&"$A".repeat(*repeats));
            text.push_str("\"\n");
        }
    }
    (text, env)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_time_and_memory_stay_bounded(hostile in hostile()) {
        let (text, env) = render(&hostile);
        let variables = Variables::new(&env, None).expect("variables");
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        let parsed = parse(&text, &variables, &Files::new());
        let took = started.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        drop(parsed);
        prop_assert!(
            peak <= MEMORY_BUDGET,
            "{} MiB at the peak for {hostile:?}",
            peak >> 20
        );
        prop_assert!(took < HANG, "{took:?} for {hostile:?}");
    }
}
