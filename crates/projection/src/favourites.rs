//! A year's favourites: the finishes it rated highest. Shared by the year's page, which shows
//! them as a shelf of covers, and `lately stats --year`, which names them; pure, like the rest
//! of the read model, and generic over how a finish is held (the reader's [`crate::FeedEntry`],
//! the CLI's JSON).

use std::collections::HashSet;

/// The favourites among `finishes` (a year's, newest first): those at the highest rating given
/// in them, each item once (its latest), in their order, with that rating. None when that
/// rating is under four stars (the year's best, not a favourite), nor when every finish has it:
/// a year all five stars has none to pick out, and its favourites would be the year's list
/// again.
pub fn favourites<'a, T>(
    finishes: &'a [T],
    rating: impl Fn(&T) -> Option<f64>,
    item: impl Fn(&'a T) -> &'a str,
) -> Option<(f64, Vec<&'a T>)> {
    let top = finishes
        .iter()
        .filter_map(&rating)
        .max_by(f64::total_cmp)
        .filter(|top| *top >= 4.0)?;
    if finishes.iter().all(|e| rating(e) == Some(top)) {
        return None;
    }
    let mut seen = HashSet::new();
    let at_top = finishes
        .iter()
        .filter(|e| rating(e) == Some(top))
        .filter(|e| seen.insert(item(e)))
        .collect();
    Some((top, at_top))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finish as (its item, its position, its rating).
    type Finish = (&'static str, i64, Option<f64>);

    fn picked(finishes: &[Finish]) -> Option<(f64, Vec<i64>)> {
        favourites(finishes, |f| f.2, |f| f.0)
            .map(|(top, them)| (top, them.iter().map(|f| f.1).collect()))
    }

    #[test]
    fn a_years_favourites_are_its_finishes_rated_highest_each_item_once() {
        // Newest first, as the year's feed lists them; Dune read twice in the year.
        let year = [
            ("dune", 9, Some(5.0)),
            ("heat", 8, None),
            ("piranesi", 7, Some(4.0)),
            ("hades", 6, Some(5.0)),
            ("dune", 5, Some(5.0)),
        ];
        assert_eq!(picked(&year), Some((5.0, vec![9, 6])));
        // The highest given is the favourites' mark, if it is four stars or more.
        let lower = [("piranesi", 2, Some(4.5)), ("heat", 1, Some(3.0))];
        assert_eq!(picked(&lower), Some((4.5, vec![2])));
        let none_good = [("piranesi", 2, Some(3.5)), ("heat", 1, Some(3.0))];
        assert_eq!(picked(&none_good), None);
        // Nothing to pick out: every finish at the top, or none rated, or none at all.
        let all_top = [("dune", 2, Some(5.0)), ("hades", 1, Some(5.0))];
        assert_eq!(picked(&all_top), None);
        assert_eq!(picked(&[("heat", 1, None)]), None);
        assert_eq!(picked(&[]), None);
    }
}
