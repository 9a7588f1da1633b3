//! A first-in first-out queue on a plain `Vec`, for the machines' effect and
//! output queues, the emit buffer and the latency window.
//!
//! `VecDeque` brings its ring-buffer code (growth with wrap-around copies,
//! a draining iterator and its drop guard) into the wasm once per element
//! type, and the machines hold a queue of a different type each. These
//! queues fill and then empty completely, so a `Vec` of slots read from a
//! moving head, reset once drained, does the same in order and in amortised
//! constant time, with the code of a `Vec`.

/// Items in the order they were pushed (`push_front` puts one back first).
#[derive(Debug, Clone)]
pub struct Fifo<T> {
    /// `slots[..head]` are taken (`None`); `slots[head..]` are all `Some`.
    slots: Vec<Option<T>>,
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Fifo<T> {
    /// An empty queue (no allocation).
    pub const fn new() -> Self {
        Self {
            slots: Vec::new(),
            head: 0,
        }
    }

    /// Adds `item` last.
    pub fn push_back(&mut self, item: T) {
        if self.head > 0 && self.head == self.slots.len() {
            self.slots.clear();
            self.head = 0;
        }
        self.slots.push(Some(item));
    }

    /// Adds `item` first (an item taken out goes back ahead of the rest).
    pub fn push_front(&mut self, item: T) {
        match self.head.checked_sub(1) {
            Some(h) => {
                self.head = h;
                if let Some(slot) = self.slots.get_mut(h) {
                    *slot = Some(item);
                }
            }
            None => self.slots.insert(0, Some(item)),
        }
    }

    /// Takes the first item.
    pub fn pop_front(&mut self) -> Option<T> {
        let item = self.slots.get_mut(self.head)?.take();
        self.head += 1;
        if self.head == self.slots.len() {
            self.slots.clear();
            self.head = 0;
        }
        item
    }

    /// Takes every item, in order.
    pub fn take_all(&mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(item) = self.pop_front() {
            out.push(item);
        }
        out
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.slots.len() - self.head
    }

    /// Nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items, first to last.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().skip(self.head).flatten()
    }

    /// Keeps only the items `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.slots
            .retain(|slot| slot.as_ref().is_some_and(&mut keep));
        self.head = 0;
    }
}

impl<T> FromIterator<T> for Fifo<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            slots: iter.into_iter().map(Some).collect(),
            head: 0,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::Fifo;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Debug, Clone)]
    enum Step {
        Back(u8),
        Front(u8),
        Pop,
        TakeAll,
        Retain(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => any::<u8>().prop_map(Step::Back),
            1 => any::<u8>().prop_map(Step::Front),
            4 => Just(Step::Pop),
            1 => Just(Step::TakeAll),
            1 => (1u8..4).prop_map(Step::Retain),
        ]
    }

    proptest! {
        /// Every operation agrees with `VecDeque`, the queue it replaces.
        #[test]
        fn behaves_like_a_vec_deque(steps in proptest::collection::vec(step(), 0..120)) {
            let mut ours = Fifo::new();
            let mut model = VecDeque::new();
            for s in steps {
                match s {
                    Step::Back(x) => { ours.push_back(x); model.push_back(x); }
                    Step::Front(x) => { ours.push_front(x); model.push_front(x); }
                    Step::Pop => prop_assert_eq!(ours.pop_front(), model.pop_front()),
                    Step::TakeAll => prop_assert_eq!(ours.take_all(), model.drain(..).collect::<Vec<_>>()),
                    Step::Retain(m) => { ours.retain(|x| x % m == 0); model.retain(|x| x % m == 0); }
                }
                prop_assert_eq!(ours.len(), model.len());
                prop_assert_eq!(ours.is_empty(), model.is_empty());
                prop_assert_eq!(ours.iter().copied().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn collects_in_order() {
        let mut q: Fifo<u8> = (1..=3).collect();
        assert_eq!(q.pop_front(), Some(1));
        q.push_front(9);
        assert_eq!(q.take_all(), vec![9, 2, 3]);
        assert!(q.is_empty());
    }
}
