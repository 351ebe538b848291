//! Per-item work over a large poll on both cores: 50,000 alerts are mapped in two halves,
//! one on a scoped thread, and put back in order. Small inputs stay on the caller's thread.

/// Below this many items a second thread costs more than it saves.
const AT_LEAST: usize = 4096;

/// `items.into_iter().filter_map(f).collect()`, in order, on two threads when it is large
/// (on one when a thread cannot be started).
pub fn filter_map<A: Send, B: Send>(mut items: Vec<A>, f: impl Fn(A) -> Option<B> + Sync) -> Vec<B> {
    if items.len() < AT_LEAST {
        return items.into_iter().filter_map(f).collect();
    }
    // Held here, so that if no thread can be started this one maps it too: nothing is lost.
    let second = std::sync::Mutex::new(Some(items.split_off(items.len() / 2)));
    let take = || second.lock().map(|mut h| h.take()).unwrap_or_default().unwrap_or_default();
    let f = &f;
    std::thread::scope(|s| {
        let other = std::thread::Builder::new()
            .name("klaxon-half".into())
            .spawn_scoped(s, || take().into_iter().filter_map(f).collect::<Vec<B>>());
        let mut out: Vec<B> = items.into_iter().filter_map(f).collect();
        match other.map(|t| t.join()) {
            Ok(Ok(rest)) => out.extend(rest),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => out.extend(take().into_iter().filter_map(f)),
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_and_small_inputs_come_back_mapped_and_in_order() {
        for n in [0, 10, super::AT_LEAST - 1, super::AT_LEAST, 50_001] {
            let items: Vec<usize> = (0..n).collect();
            let got = super::filter_map(items, |i| (i % 3 != 0).then_some(i * 2));
            let want: Vec<usize> = (0..n).filter(|i| i % 3 != 0).map(|i| i * 2).collect();
            assert_eq!(got, want, "{n} items");
        }
    }
}
