//! Pages of search results (SPEC §4, §7): which page and how many per page a request gets.
//! Out-of-range values are brought into range rather than refused, as the API documents.

/// Results per page when the request does not say.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most results one page may hold.
pub const MAX_PER_PAGE: u32 = 200;

/// Totals are counted exactly up to this many; above it a search says «περισσότερα από 1.000»
/// (counting every match of a broad query would cost more than finding the page).
pub const EXACT_TOTAL_UP_TO: u64 = 1000;

/// How many results a search has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Total {
    /// The exact count, or [`EXACT_TOTAL_UP_TO`] when there are more.
    pub count: u64,
    pub exact: bool,
}

impl Total {
    /// From a count that stopped at [`EXACT_TOTAL_UP_TO`] + 1 (or went on past it).
    pub fn from_capped(counted: u64) -> Total {
        if counted > EXACT_TOTAL_UP_TO {
            Total::more_than_cap()
        } else {
            Total {
                count: counted,
                exact: true,
            }
        }
    }

    /// More than [`EXACT_TOTAL_UP_TO`].
    pub fn more_than_cap() -> Total {
        Total {
            count: EXACT_TOTAL_UP_TO,
            exact: false,
        }
    }

    /// The total a page tells by itself: one that holds fewer rows than `asked` (`found`, after
    /// `offset` rows) ends the results, so there are `offset + found`; none when the page is
    /// full (more may follow) or empty past the start (the results may end before it).
    pub fn from_short_page(offset: u64, found: u64, asked: u64) -> Option<Total> {
        let ends_here = found < asked && (found > 0 || offset == 0);
        ends_here.then(|| Total::from_capped(offset + found))
    }
}

/// A 1-based page of at most [`MAX_PER_PAGE`] results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    /// Page 0 is page 1; `per_page` is brought into 1..=[`MAX_PER_PAGE`].
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Paging {
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_up_to_the_cap() {
        assert_eq!(
            Total::from_capped(0),
            Total {
                count: 0,
                exact: true
            }
        );
        assert_eq!(
            Total::from_capped(1000),
            Total {
                count: 1000,
                exact: true
            }
        );
        assert_eq!(
            Total::from_capped(1001),
            Total {
                count: 1000,
                exact: false
            }
        );
        assert_eq!(Total::from_capped(50_000), Total::more_than_cap());
    }

    #[test]
    fn a_short_page_tells_the_total_and_a_full_or_empty_one_does_not() {
        let exact = |count| Some(Total { count, exact: true });
        assert_eq!(Total::from_short_page(0, 3, 20), exact(3));
        assert_eq!(Total::from_short_page(0, 0, 20), exact(0));
        assert_eq!(Total::from_short_page(40, 5, 20), exact(45));
        // Past the cap, a short last page still says only «more than».
        assert_eq!(
            Total::from_short_page(1180, 5, 20),
            Some(Total::more_than_cap())
        );
        assert_eq!(Total::from_short_page(0, 20, 20), None, "more may follow");
        assert_eq!(
            Total::from_short_page(40, 0, 20),
            None,
            "the results may end before this page"
        );
    }

    #[test]
    fn out_of_range_values_are_brought_into_range() {
        assert_eq!(
            Paging::new(None, None),
            Paging {
                page: 1,
                per_page: 50
            }
        );
        assert_eq!(
            Paging::new(Some(0), Some(0)),
            Paging {
                page: 1,
                per_page: 1
            }
        );
        assert_eq!(
            Paging::new(Some(u32::MAX), Some(u32::MAX)),
            Paging {
                page: u32::MAX,
                per_page: 200
            }
        );
        assert_eq!(
            Paging::new(Some(3), Some(20)),
            Paging {
                page: 3,
                per_page: 20
            }
        );
    }
}
