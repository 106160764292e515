//! The machine has two cores: large projects share their per-item work
//! between this thread and one more.

/// `items.into_iter().map(f).collect()`, the second half on another
/// thread; the results keep the items' order.
pub fn map<T: Send, R: Send>(mut items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let second = items.split_off(items.len().div_ceil(2));
    let f = &f;
    std::thread::scope(|s| {
        let other = s.spawn(move || second.into_iter().map(f).collect::<Vec<R>>());
        let mut out: Vec<R> = items.into_iter().map(f).collect();
        out.extend(
            other
                .join()
                .expect("work on the second thread cannot panic"),
        );
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_every_size() {
        for n in 0..7 {
            let items: Vec<usize> = (0..n).collect();
            let doubled: Vec<usize> = (0..n).map(|i| i * 2).collect();
            assert_eq!(super::map(items, |i| i * 2), doubled);
        }
    }
}
