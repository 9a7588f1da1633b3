//! One small sort for the machines' short lists.
//!
//! The standard library's sorts (pattern-defeating quicksort with its small
//! sorting networks) add several kB of wasm for every element type and
//! comparator they are used with. The lists sorted here hold a handful to a
//! few hundred items, so a heapsort (in place, `O(n log n)`, no allocation)
//! does the same job in a few hundred bytes per use.

/// Sorts `v` so that no item is `less` than the one before it (not stable:
/// equal items may move; every caller sorts by a key that tells items apart).
pub fn sort_by<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let n = v.len();
    // Moves `v[root]` down the heap held in `v[..end]`.
    let mut sift = |v: &mut [T], mut root: usize, end: usize| {
        // `root < end / 2`, so the children's indices stay below `end`.
        while root < end / 2 {
            let mut child = 2 * root + 1;
            if child + 1 < end && less(&v[child], &v[child + 1]) {
                child += 1;
            }
            if !less(&v[root], &v[child]) {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    };
    for root in (0..n / 2).rev() {
        sift(v, root, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::sort_by;
    use proptest::prelude::*;

    #[test]
    fn sorts_the_small_cases() {
        for case in [
            vec![],
            vec![1],
            vec![2, 1],
            vec![3, 1, 2],
            vec![1, 1, 1],
            vec![5, 4, 3, 2, 1, 0],
        ] {
            let mut ours = case.clone();
            sort_by(&mut ours, |a, b| a < b);
            let mut std = case;
            std.sort_unstable();
            assert_eq!(ours, std);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_standard_sort(mut v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut std = v.clone();
            std.sort_unstable();
            sort_by(&mut v, |a, b| a < b);
            prop_assert_eq!(v, std);
        }

        #[test]
        fn sorts_by_a_key(mut v in proptest::collection::vec(any::<i32>(), 0..100)) {
            sort_by(&mut v, |a, b| a.unsigned_abs() < b.unsigned_abs());
            prop_assert!(v.windows(2).all(|w| w[0].unsigned_abs() <= w[1].unsigned_abs()));
        }
    }
}
