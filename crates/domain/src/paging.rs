//! Pages of search results (SPEC §4, §7): which page and how many per page a request gets.
//! Out-of-range values are brought into range rather than refused, as the API documents.

/// Results per page when the request does not say.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most results one page may hold.
pub const MAX_PER_PAGE: u32 = 200;

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
