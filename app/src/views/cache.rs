//! Keys of the screens' caches: which part of the view rows were derived from.
//!
//! A screen keeps rows derived from a part of the view (`Arc<Vec<Event>>`,
//! `Arc<CommunityPart>`…) and recomputes them only when the part is another
//! one. The part's address alone is no key: once the part is dropped (another
//! community shown, a newer view), the allocator may give its address to a
//! different part, and the screen would show stale rows or index past the end
//! of the new list. [`SameArc`] keeps the allocation, so its address cannot be
//! given to another part while the key is held.

use std::fmt;
use std::sync::{Arc, Weak};

/// The `Arc` a cached value was computed from, told apart from any other by
/// its allocation.
///
/// It holds a [`Weak`]: enough to keep the allocation, and so its address,
/// from being reused while the key lives, without keeping a part the app no
/// longer shows (a whole community's échanges) alive in a screen's cache.
pub(crate) struct SameArc<T: ?Sized>(Weak<T>);

impl<T: ?Sized> SameArc<T> {
    /// The key of values computed from `arc`.
    pub(crate) fn new(arc: &Arc<T>) -> Self {
        Self(Arc::downgrade(arc))
    }

    /// Whether `arc` is another allocation than the one this key was made
    /// from: what was computed from that one is out of date.
    pub(crate) fn changed(&self, arc: &Arc<T>) -> bool {
        !self.0.ptr_eq(&Arc::downgrade(arc))
    }
}

impl<T: ?Sized> PartialEq for SameArc<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

impl<T: ?Sized> Eq for SameArc<T> {}

impl<T: ?Sized> Clone for SameArc<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> fmt::Debug for SameArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live = self.0.strong_count() > 0;
        write!(f, "SameArc({})", if live { "live" } else { "dropped" })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use passerelle_core::model::{CommunityView, DeviceKey, ViewCache};

    /// The example community's view, built here.
    pub(crate) fn example_view() -> Arc<CommunityView> {
        let device = DeviceKey("a".repeat(64));
        let mut n = 0u128;
        let mut random = || {
            n += 1;
            n
        };
        let now = 1_780_000_000_000;
        let mut docs = passerelle_demo::example_community(
            &device.actor(),
            (&device, "Nadia"),
            now,
            &mut random,
        )
        .expect("the example community builds");
        ViewCache::default()
            .view(&mut docs)
            .expect("its view builds")
    }

    #[test]
    fn a_new_arc_is_changed_even_once_the_first_is_dropped() {
        let first = Arc::new(vec![1u64, 2, 3]);
        let key = SameArc::new(&first);
        assert!(!key.changed(&first));
        assert_eq!(key, SameArc::new(&first));
        let address = format!("{first:p}");
        drop(first);
        // Same size, same thread: the allocator would gladly reuse the
        // address, but the key still holds the allocation.
        let second = Arc::new(vec![4u64]);
        assert_ne!(format!("{second:p}"), address);
        assert!(key.changed(&second));
        assert_ne!(key, SameArc::new(&second));
    }
}
