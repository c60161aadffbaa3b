//! An account's age estimated from its Telegram user id — the entry rule "minimum account
//! age". The Bot API tells nobody when an account was made; ids were handed out roughly in
//! order, so a table of ids whose sign-up dates are known (reference points) dates the
//! ids between them by linear interpolation. It is an estimate, and the form says so.
//!
//! The built-in points are the public table of `SantiiRepair/tdage` (`ages.go`, MIT
//! licence, © 2024 Santiago Ramírez), itself grown from `wjclub/telegram-bot-getids`.
//! They end at id 1,974,255,900 (October 2021); an operator adds newer points with
//! `account-age-points`. An id past the last point is only known to be newer than it:
//! such an account is refused only when even that bound is too young (see [`old_enough`]).
//!
//! Pure: dates are Unix seconds (UTC).

use crate::ValidationError;

/// `(user id, sign-up time in Unix seconds)` from `tdage`'s `ages.go` (its milliseconds
/// divided by 1,000), in that file's order.
const BUILT_IN: &[(u64, i64)] = &[
    (2_768_409, 1_383_264_000),
    (7_679_610, 1_388_448_000),
    (11_538_514, 1_391_212_000),
    (15_835_244, 1_392_940_000),
    (23_646_077, 1_393_459_000),
    (38_015_510, 1_393_632_000),
    (44_634_663, 1_399_334_000),
    (46_145_305, 1_400_198_000),
    (54_845_238, 1_411_257_000),
    (63_263_518, 1_414_454_000),
    (101_260_938, 1_425_600_000),
    (101_323_197, 1_426_204_000),
    (111_220_210, 1_429_574_000),
    (103_258_382, 1_432_771_000),
    (103_151_531, 1_433_376_000),
    (116_812_045, 1_437_696_000),
    (122_600_695, 1_437_782_000),
    (109_393_468, 1_439_078_000),
    (112_594_714, 1_439_683_000),
    (124_872_445, 1_439_856_000),
    (130_029_930, 1_441_324_000),
    (125_828_524, 1_444_003_000),
    (133_909_606, 1_444_176_000),
    (157_242_073, 1_446_768_000),
    (143_445_125, 1_448_928_000),
    (148_670_295, 1_452_211_000),
    (152_079_341, 1_453_420_000),
    (171_295_414, 1_457_481_000),
    (181_783_990, 1_460_246_000),
    (222_021_233, 1_465_344_000),
    (225_034_354, 1_466_208_000),
    (278_941_742, 1_473_465_000),
    (285_253_072, 1_476_835_000),
    (294_851_037, 1_479_600_000),
    (297_621_225, 1_481_846_000),
    (328_594_461, 1_482_969_000),
    (337_808_429, 1_487_707_000),
    (341_546_272, 1_487_782_000),
    (352_940_995, 1_487_894_000),
    (369_669_043, 1_490_918_000),
    (400_169_472, 1_501_459_000),
    (805_158_066, 1_563_208_000),
    (1_974_255_900, 1_634_000_000),
];

/// The most reference points a deployment may add.
pub const MAX_EXTRA_POINTS: usize = 200;

/// The most days a giveaway may ask for (ten years).
pub const MAX_DAYS: u32 = 3650;

/// When an account was made, as far as the table tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimate {
    /// Older than the first reference point (made before this time).
    Before(i64),
    /// Between two points: about this time.
    Around(i64),
    /// Newer than the last reference point (made after this time).
    After(i64),
}

/// Reference points sorted by id, dates never going back (see [`Table::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    points: Vec<(u64, i64)>,
}

impl Default for Table {
    fn default() -> Self {
        Table::new(&[])
    }
}

impl Table {
    /// The built-in points and `extra`. Sorted by id; where a later id carries an earlier
    /// date (ids were not handed out strictly in order: the source table has such pairs),
    /// the later id takes the latest date before it, so an estimate errs towards "newer"
    /// — the side that keeps fresh accounts out.
    pub fn new(extra: &[(u64, i64)]) -> Table {
        let mut points: Vec<(u64, i64)> = BUILT_IN.iter().chain(extra).copied().collect();
        points.sort_unstable();
        points.dedup_by_key(|p| p.0);
        let mut latest = i64::MIN;
        for p in &mut points {
            latest = latest.max(p.1);
            p.1 = latest;
        }
        Table { points }
    }

    /// The estimate for user id `id`.
    pub fn estimate(&self, id: u64) -> Estimate {
        let (first, last) = match (self.points.first(), self.points.last()) {
            (Some(f), Some(l)) => (*f, *l),
            _ => return Estimate::After(i64::MIN),
        };
        if id < first.0 {
            return Estimate::Before(first.1);
        }
        if id > last.0 {
            return Estimate::After(last.1);
        }
        let i = self.points.partition_point(|p| p.0 <= id);
        let (lo, hi) = (
            self.points[i - 1],
            self.points.get(i).copied().unwrap_or(last),
        );
        if hi.0 == lo.0 {
            return Estimate::Around(lo.1);
        }
        let span = (hi.1 - lo.1) as i128 * (id - lo.0) as i128 / (hi.0 - lo.0) as i128;
        Estimate::Around(lo.1 + span as i64)
    }

    /// Whether account `id` is at least `days` old at `now` (Unix seconds). An account
    /// newer than the last point is let in unless even that point is less than `days`
    /// before `now`: the table cannot tell more about it.
    pub fn old_enough(&self, id: u64, days: u32, now: i64) -> bool {
        let newest_allowed = now - i64::from(days) * 86_400;
        match self.estimate(id) {
            Estimate::Before(_) => true,
            Estimate::Around(t) | Estimate::After(t) => t <= newest_allowed,
        }
    }

    /// The time of the newest point: ids issued after it cannot be dated.
    pub fn last_point(&self) -> Option<i64> {
        self.points.last().map(|p| p.1)
    }
}

/// Reads `id=YYYY-MM-DD` points separated by commas or whitespace (the `account-age-points`
/// setting).
pub fn parse_points(raw: &str) -> Result<Vec<(u64, i64)>, ValidationError> {
    let mut out = Vec::new();
    for item in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        if item.is_empty() {
            continue;
        }
        let (id, date) = item.split_once('=').ok_or(ValidationError::InvalidNumber)?;
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| ValidationError::InvalidNumber)?;
        let t = parse_date(date.trim()).ok_or(ValidationError::InvalidDateTime)?;
        out.push((id, t));
        if out.len() > MAX_EXTRA_POINTS {
            return Err(ValidationError::TooMany);
        }
    }
    Ok(out)
}

/// `YYYY-MM-DD` as Unix seconds at midnight UTC.
fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(2000..=2200).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_utc_midnight() {
        assert_eq!(parse_date("1970-01-01"), None, "before 2000 is refused");
        assert_eq!(parse_date("2021-10-12"), Some(1_633_996_800));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("soon"), None);
    }

    #[test]
    fn points_parse_and_refuse_junk() {
        assert_eq!(
            parse_points("7000000000=2024-01-01, 8000000000=2025-06-01").unwrap(),
            vec![
                (7_000_000_000, 1_704_067_200),
                (8_000_000_000, 1_748_736_000)
            ]
        );
        assert_eq!(parse_points(""), Ok(vec![]));
        assert!(parse_points("7000000000").is_err());
        assert!(parse_points("x=2024-01-01").is_err());
        assert!(parse_points("1=yesterday").is_err());
    }

    #[test]
    fn interpolates_between_points_and_bounds_outside() {
        let t = Table::default();
        assert_eq!(t.estimate(1_000), Estimate::Before(1_383_264_000));
        assert_eq!(t.estimate(2_768_409), Estimate::Around(1_383_264_000));
        // Halfway between the first two points is halfway in time.
        let mid = (2_768_409 + 7_679_610) / 2;
        let Estimate::Around(at) = t.estimate(mid) else {
            panic!("between two points");
        };
        assert!(
            (at - (1_383_264_000 + 1_388_448_000) / 2).abs() <= 1,
            "{at}"
        );
        assert_eq!(t.estimate(6_000_000_000), Estimate::After(1_634_000_000));
    }

    #[test]
    fn estimates_never_go_back_in_time_as_ids_grow() {
        let t = Table::default();
        let mut last = i64::MIN;
        for id in (0..2_100_000_000u64).step_by(1_000_003) {
            let at = match t.estimate(id) {
                Estimate::Before(x) | Estimate::Around(x) | Estimate::After(x) => x,
            };
            assert!(at >= last, "id {id}");
            last = at;
        }
    }

    #[test]
    fn old_enough_uses_the_estimate_and_the_newest_bound() {
        let t = Table::new(&[(7_000_000_000, parse_date("2026-11-01").unwrap())]);
        let now = parse_date("2026-12-01").unwrap();
        // 2013 accounts are years old.
        assert!(t.old_enough(1_000, 3650, now));
        assert!(t.old_enough(2_768_409, 365, now));
        // Around the added point: about 30 days old.
        assert!(t.old_enough(7_000_000_000, 29, now));
        assert!(!t.old_enough(7_000_000_000, 31, now));
        // Past the last point: newer than 30 days, so refused when 31 are asked…
        assert!(!t.old_enough(7_500_000_000, 31, now));
        // …and let in when the table cannot tell.
        assert!(t.old_enough(7_500_000_000, 7, now));
        // Without the added point, the built-in table ends in 2021.
        let built_in = Table::default();
        assert!(built_in.old_enough(7_500_000_000, 365, now));
        assert!(!built_in.old_enough(7_500_000_000, 6 * 365, now));
    }
}
