//! The local/feed mix: which kind of photo comes next, so that feed photos make up the
//! configured share of what is shown.
//!
//! Error accumulation as in Bresenham's line algorithm: each pick while both kinds are
//! available adds `feed_percent` to an accumulator, and a feed photo is due whenever it reaches
//! 100. Over any 100 consecutive picks that is exactly `feed_percent` feed photos (over shorter
//! windows, within one of the pro-rata share), deterministically, with no random clumps.
//!
//! The policy is in-memory only; it starts over with each worker run.

use idlewild_protocol::message::image::SourceKind;

/// Chooses local or feed for each photo shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixPolicy {
    feed_percent: u8,
    /// 0..100: the fraction of a feed photo owed so far, in percent.
    acc: u8,
}

impl MixPolicy {
    /// A policy that shows `feed_percent` % feed photos (values over 100 count as 100).
    pub fn new(feed_percent: u8) -> Self {
        Self {
            feed_percent: feed_percent.min(100),
            acc: 0,
        }
    }

    /// The configured share, in percent.
    pub fn feed_percent(&self) -> u8 {
        self.feed_percent
    }

    /// The kind of the next photo, given which kinds have a photo ready. With only one kind
    /// available that one is chosen, and the accumulator does not move: when the other kind
    /// comes back the mix resumes at its share instead of catching up with a burst. `None`
    /// when neither kind has a photo.
    pub fn choose(&mut self, local_available: bool, feed_available: bool) -> Option<SourceKind> {
        match (local_available, feed_available) {
            (false, false) => None,
            (true, false) => Some(SourceKind::Local),
            (false, true) => Some(SourceKind::Feed),
            (true, true) => {
                // At most 99 + 100: no overflow in u8.
                self.acc += self.feed_percent;
                if self.acc >= 100 {
                    self.acc -= 100;
                    Some(SourceKind::Feed)
                } else {
                    Some(SourceKind::Local)
                }
            }
        }
    }
}
